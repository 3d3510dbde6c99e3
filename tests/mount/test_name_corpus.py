"""Issue 10: a name corpus that round-trips create, stat, readdir, rename
and unlink on 2.1, 3.1.1 and 3.1.1 with seal: a sample of every major
script, astral characters (UTF-16 surrogate pairs), combining marks, and
the NFC and NFD forms of the same text as two different names (the server
stores bytes, as Linux does; nothing is normalised on the way)."""

import os
import unicodedata

import pytest

# A few characters from each block, avoiding what SMB cannot store
# (control characters, \\ / : * ? " < > |) and the private-use area.
SAMPLES = {
    "latin1": "àéîõüßÿ",
    "latin-ext": "ĀąĆčĐėĞħİĳĽłŃňŐœŘšŢťŮűŹž",
    "ipa": "ɐɓɔɖəɛɡɣɪʃʊʒ",
    "greek": "ΑβΓδΕζΗθΙκΛμΝξΟπΡσΤυΦχΨω",
    "cyrillic": "Документ_Привет_ЁЖЩЫЭЮЯ",
    "armenian": "ԱԲԳԴԵաբգդե",
    "hebrew": "שלום_עולם",
    "arabic": "مرحبا_بالعالم",
    "devanagari": "नमस्ते_दुनिया",
    "bengali": "বাংলা",
    "tamil": "தமிழ்",
    "thai": "สวัสดีชาวโลก",
    "georgian": "ქართული",
    "hangul": "안녕하세요_세계",
    "jamo": "ᄀᄁ나ᅢ",
    "ethiopic": "ሰላም_ዓለም",
    "cherokee": "ᏣᎳᎩ",
    "khmer": "ខ្មែរ",
    "mongolian": "ᠮᠣᠩᠭᠣᠯ",
    "hiragana": "ひらがな",
    "katakana": "カタカナ",
    "cjk": "一二三_日本語_中文",
    "cjk-ideographic-space": "全角\u3000空白",
    "yi": "ꆈꌠꁱꂷ",
    "polish": "Zażółć_gęślą_jaźń",
    "slovak": "ľščťžýáíé",
    "emoji": "😀🎉🚀",
    "math-astral": "𝔸𝕓𝒞𝓓",
    "cjk-ext-b": "𠀀𠜎𡃁",
    "deseret": "𐐷𐐸𐐹",
    "combining": "e\u0301a\u0308o\u0303\u0323",
    "zwj": "👩\u200d💻",
}


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_name_round_trips(mnt, key):
    name = f"n-{key}-{SAMPLES[key]}"
    path = mnt.path(name)
    with open(path, "w") as f:
        f.write(key)
    assert os.stat(path).st_size == len(key)
    assert name in os.listdir(mnt.path(""))
    assert os.path.exists(mnt.backing(name))  # the same bytes on the server
    renamed = name + "-r"
    os.rename(path, mnt.path(renamed))
    assert renamed in os.listdir(mnt.path("")) and name not in os.listdir(mnt.path(""))
    assert open(mnt.path(renamed)).read() == key
    os.mkdir(mnt.path(name))  # the same name as a directory
    assert os.path.isdir(mnt.backing(name))
    os.rmdir(mnt.path(name))
    os.unlink(mnt.path(renamed))
    assert not os.path.exists(mnt.backing(renamed))


def test_nfc_and_nfd_are_two_names(mnt):
    text = "Café_Ångström_ḱ"
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assert nfc != nfd
    with open(mnt.path(nfc), "w") as f:
        f.write("nfc")
    with open(mnt.path(nfd), "w") as f:
        f.write("nfd")
    listing = os.listdir(mnt.path(""))
    assert nfc in listing and nfd in listing
    assert open(mnt.path(nfc)).read() == "nfc" and open(mnt.path(nfd)).read() == "nfd"
    assert sorted(n for n in os.listdir(mnt.backing("")) if n in (nfc, nfd)) == sorted([nfc, nfd])
    os.unlink(mnt.path(nfc))
    os.unlink(mnt.path(nfd))
