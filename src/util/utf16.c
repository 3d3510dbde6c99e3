/* utf16.c - UTF-8 <-> UTF-16LE and SMB name rules. */
#include "util/utf16.h"

#include "util/bytes.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

/* Decode one code point from UTF-8; returns bytes used or 0 on error. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t min;
	if ((c & 0xE0) == 0xC0) {
		len = 2, min = 0x80, *cp = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, min = 0x800, *cp = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, min = 0x10000, *cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
		return 0; /* overlong, out of range, or an encoded surrogate */
	return len;
}

static void put_utf16(GByteArray *out, uint32_t cp)
{
	uint8_t b[4];
	if (cp >= 0x10000) {
		cp -= 0x10000;
		sf_put_le16(b, (uint16_t)(0xD800 | (cp >> 10)));
		sf_put_le16(b + 2, (uint16_t)(0xDC00 | (cp & 0x3FF)));
		g_byte_array_append(out, b, 4);
	} else {
		sf_put_le16(b, (uint16_t)cp);
		g_byte_array_append(out, b, 2);
	}
}

/* Services for Mac mapping used by `mapposix` (as Windows SFM and
 * mount.cifs mapposix do): the characters NTFS forbids move to
 * U+F000 + their ASCII value (U+F001..U+F01F for controls, U+F020+ for
 * the punctuation below, trailing space U+F028, trailing dot U+F029). */
static uint32_t sfm_map(uint32_t cp, bool trailing)
{
	switch (cp) {
	case '"':
		return 0xF020;
	case '*':
		return 0xF021;
	case ':':
		return 0xF022;
	case '<':
		return 0xF023;
	case '>':
		return 0xF024;
	case '?':
		return 0xF025;
	case '\\':
		return 0xF026;
	case '|':
		return 0xF027;
	case ' ':
		return trailing ? 0xF028 : cp;
	case '.':
		return trailing ? 0xF029 : cp;
	default:
		return (cp >= 1 && cp <= 0x1F) ? 0xF000 + cp : cp;
	}
}

static uint32_t sfm_unmap(uint32_t cp)
{
	static const char tbl[] = "\"*:<>?\\| .";
	if (cp >= 0xF001 && cp <= 0xF01F)
		return cp - 0xF000;
	if (cp >= 0xF020 && cp <= 0xF029)
		return (uint8_t)tbl[cp - 0xF020];
	return cp;
}

/* Every forbidden character is ASCII: compare the whole code point (a
 * strchr on cp would look at its low byte only, so that U+043A 'к' was
 * taken for ':' and U+3000 for the string's end). */
static bool smb_forbidden(uint32_t cp)
{
	return cp < 0x20 || (cp < 0x80 && strchr("\\:*?\"<>|", (int)cp) != NULL);
}

/* Append UTF-8 [s, s+n) as UTF-16LE. With `name_rules`, characters SMB
 * cannot store, and a trailing dot or space, are mapped (mapposix) or
 * refused. Returns 0 or a positive errno. */
static int append_utf16(GByteArray *out, const uint8_t *u, size_t n, bool name_rules, bool mapposix,
                        bool posix)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t used = utf8_next(u + i, n - i, &cp);
		if (!used || cp == 0)
			return EILSEQ;
		bool trailing = i + used == n && (cp == ' ' || cp == '.');
		if (name_rules && !posix && (smb_forbidden(cp) || trailing)) {
			if (!mapposix)
				return EINVAL;
			cp = sfm_map(cp, trailing);
		}
		put_utf16(out, cp);
		i += used;
	}
	return 0;
}

uint8_t *sf_utf8_to_utf16(const char *s, ptrdiff_t len, size_t *out_bytes)
{
	size_t n = len < 0 ? strlen(s) : (size_t)len;
	GByteArray *out = g_byte_array_sized_new(n * 2 + 2);
	if (append_utf16(out, (const uint8_t *)s, n, false, false, false)) {
		g_byte_array_unref(out);
		return NULL;
	}
	*out_bytes = out->len;
	return g_byte_array_free(out, FALSE);
}

/* MS-DOS device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9), alone or with
 * an extension, in any case: Windows cannot create them, and Samba stores
 * them but lists them under mangled 8.3 names (CSHOFG~F), so a file made
 * under one would vanish from its directory. */
static bool dos_device_name(const uint8_t *u, size_t n)
{
	size_t base = 0;
	while (base < n && u[base] != '.')
		base++;
	while (base > 0 && u[base - 1] == ' ')
		base--; /* "CON .txt" too */
	char b[5] = {0};
	if (base < 3 || base > 4)
		return false;
	for (size_t i = 0; i < base; i++)
		b[i] = (char)g_ascii_toupper((char)u[i]);
	if (base == 3)
		return !strcmp(b, "CON") || !strcmp(b, "PRN") || !strcmp(b, "AUX") ||
		       !strcmp(b, "NUL");
	return (!strncmp(b, "COM", 3) || !strncmp(b, "LPT", 3)) && b[3] >= '1' && b[3] <= '9';
}

static uint8_t *path_to_smb(const char *path, bool mapposix, bool posix, size_t *out_bytes,
                            int *err)
{
	GByteArray *out = g_byte_array_sized_new(strlen(path) * 2 + 2);
	const uint8_t *u = (const uint8_t *)path;
	int e = 0;
	bool first = true;
	while (*u && !e) {
		if (*u == '/') {
			u++;
			continue;
		}
		const uint8_t *end = (const uint8_t *)strchrnul((const char *)u, '/');
		size_t n = (size_t)(end - u);
		/* The kernel resolves "." and ".." itself; on the wire they are
		 * never valid components. */
		if ((n == 1 && u[0] == '.') || (n == 2 && u[0] == '.' && u[1] == '.')) {
			e = EINVAL;
			break;
		}
		if (n > 255) { /* NAME_MAX; SMB allows 255 UTF-16 units too */
			e = ENAMETOOLONG;
			break;
		}
		if (!posix && dos_device_name(u, n)) {
			e = EINVAL;
			break;
		}
		/* POSIX pathnames separate with '/' (Samba reads them so under
		 * the POSIX create context), leaving '\\' to names. */
		if (!first)
			put_utf16(out, posix ? '/' : '\\');
		e = append_utf16(out, u, n, true, mapposix, posix);
		first = false;
		u = end;
	}
	if (e) {
		g_byte_array_unref(out);
		if (err)
			*err = e;
		return NULL;
	}
	/* The longest path SMB carries is 32767 UTF-16 units (MS-FSCC 2.1.5). */
	if (out->len > 65534) {
		g_byte_array_unref(out);
		if (err)
			*err = ENAMETOOLONG;
		return NULL;
	}
	*out_bytes = out->len;
	return g_byte_array_free(out, FALSE);
}

uint8_t *sf_path_to_smb(const char *path, bool mapposix, size_t *out_bytes, int *err)
{
	return path_to_smb(path, mapposix, false, out_bytes, err);
}

uint8_t *sf_path_to_smb_posix(const char *path, size_t *out_bytes, int *err)
{
	return path_to_smb(path, false, true, out_bytes, err);
}

static char *decode(const uint8_t *p, size_t bytes, bool name, bool mapposix)
{
	if (bytes % 2)
		return NULL;
	GString *s = g_string_sized_new(bytes / 2 + 1);
	for (size_t i = 0; i < bytes; i += 2) {
		uint32_t cp = sf_le16(p + i);
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (i + 4 > bytes)
				goto bad;
			uint32_t lo = sf_le16(p + i + 2);
			if (lo < 0xDC00 || lo > 0xDFFF)
				goto bad;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			i += 2;
		} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
			goto bad;
		}
		if (name) {
			if (cp == 0 || cp == '/')
				goto bad;
			if (mapposix)
				cp = sfm_unmap(cp);
		}
		g_string_append_unichar(s, cp);
	}
	if (name && (strcmp(s->str, ".") == 0 || strcmp(s->str, "..") == 0 || s->len == 0))
		goto bad;
	return g_string_free(s, FALSE);
bad:
	g_string_free(s, TRUE);
	return NULL;
}

char *sf_utf16_to_utf8(const uint8_t *p, size_t bytes)
{
	return decode(p, bytes, false, false);
}

char *sf_name_from_smb(const uint8_t *p, size_t bytes, bool mapposix)
{
	return decode(p, bytes, true, mapposix);
}
