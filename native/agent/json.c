#include "json.h"

void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", out); break;
      case '\\': fputs("\\\\", out); break;
      case '\b': fputs("\\b", out); break;
      case '\f': fputs("\\f", out); break;
      case '\n': fputs("\\n", out); break;
      case '\r': fputs("\\r", out); break;
      case '\t': fputs("\\t", out); break;
      default:
        if (*p < 0x20)
          fprintf(out, "\\u%04x", *p);
        else
          fputc(*p, out);
    }
  }
  fputc('"', out);
}

static int hex4(const char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// \uXXXX, with a following \uXXXX when it is a surrogate pair; the code point, or -1.
static long read_escaped_code_point(const char **p) {
  int hi = hex4(*p);
  if (hi < 0) return -1;
  *p += 4;
  if (hi < 0xd800 || hi > 0xdfff) return hi;
  if (hi > 0xdbff || (*p)[0] != '\\' || (*p)[1] != 'u') return -1;
  int lo = hex4(*p + 2);
  if (lo < 0xdc00 || lo > 0xdfff) return -1;
  *p += 6;
  return 0x10000 + ((long)(hi - 0xd800) << 10) + (lo - 0xdc00);
}

static size_t utf8_length(long cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static void put_utf8(char *out, long cp) {
  size_t n = utf8_length(cp);
  static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
  for (size_t i = n - 1; i > 0; i--, cp >>= 6) out[i] = (char)(0x80 | (cp & 0x3f));
  out[0] = (char)(lead[n] | cp);
}

static long unescape(char c) {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
  }
}

const char *json_read_string(const char *p, char *out, size_t size) {
  if (*p++ != '"' || size == 0) return NULL;
  size_t n = 0;
  while (*p != '"') {
    long cp;
    if (*p == 0 || (unsigned char)*p < 0x20) return NULL;
    if (*p != '\\') {
      cp = -2;  // a byte copied as is (UTF-8 passes through)
    } else if (p[1] == 'u') {
      p += 2;
      cp = read_escaped_code_point(&p);
      if (cp <= 0) return NULL;
    } else {
      cp = unescape(p[1]);
      if (cp < 0) return NULL;
      p += 2;
    }
    size_t need = cp == -2 ? 1 : utf8_length(cp);
    if (n + need >= size) return NULL;
    if (cp == -2)
      out[n] = *p++;
    else
      put_utf8(out + n, cp);
    n += need;
  }
  out[n] = 0;
  return p + 1;
}
