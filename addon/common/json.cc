#include "json.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace skiff {
namespace {

struct Parser {
  const std::string& s;
  size_t i = 0;
  int depth = 0;
  std::string err;

  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++;
  }
  bool fail(const char* what) {
    if (err.empty()) err = std::string(what) + " at offset " + std::to_string(i);
    return false;
  }
  static void utf8(std::string& o, unsigned cp) {
    if (cp < 0x80) {
      o += (char)cp;
    } else if (cp < 0x800) {
      o += (char)(0xC0 | (cp >> 6));
      o += (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      o += (char)(0xE0 | (cp >> 12));
      o += (char)(0x80 | ((cp >> 6) & 0x3F));
      o += (char)(0x80 | (cp & 0x3F));
    } else {
      o += (char)(0xF0 | (cp >> 18));
      o += (char)(0x80 | ((cp >> 12) & 0x3F));
      o += (char)(0x80 | ((cp >> 6) & 0x3F));
      o += (char)(0x80 | (cp & 0x3F));
    }
  }
  bool hex4(unsigned& v) {
    if (i + 4 > s.size()) return fail("short \\u escape");
    v = 0;
    for (int k = 0; k < 4; k++) {
      char c = s[i++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return fail("bad \\u escape");
    }
    return true;
  }
  bool str(std::string& o) {
    if (s[i] != '"') return fail("expected string");
    i++;
    while (i < s.size()) {
      char c = s[i++];
      if (c == '"') return true;
      if (c != '\\') {
        o += c;
        continue;
      }
      if (i >= s.size()) break;
      char e = s[i++];
      switch (e) {
        case '"':
          o += '"';
          break;
        case '\\':
          o += '\\';
          break;
        case '/':
          o += '/';
          break;
        case 'b':
          o += '\b';
          break;
        case 'f':
          o += '\f';
          break;
        case 'n':
          o += '\n';
          break;
        case 'r':
          o += '\r';
          break;
        case 't':
          o += '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= s.size() && s[i] == '\\' && s[i + 1] == 'u') {
            i += 2;
            unsigned lo = 0;
            if (!hex4(lo)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(o, cp);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }
  bool value(Json& v) {
    ws();
    if (i >= s.size()) return fail("unexpected end");
    if (++depth > 64) return fail("nesting too deep");
    bool ok = true;
    char c = s[i];
    if (c == '{') {
      v.kind = Json::Object;
      i++;
      ws();
      if (i < s.size() && s[i] == '}') {
        i++;
      } else {
        for (;;) {
          ws();
          std::string k;
          if (i >= s.size() || !str(k)) {
            ok = false;
            break;
          }
          ws();
          if (i >= s.size() || s[i] != ':') {
            ok = fail("expected ':'");
            break;
          }
          i++;
          v.obj.emplace_back(std::move(k), Json());
          Json& member = v.obj.back().second;
          member.where = v.where.empty() ? v.obj.back().first : v.where + "." + v.obj.back().first;
          if (!value(member)) {
            ok = false;
            break;
          }
          ws();
          if (i < s.size() && s[i] == ',') {
            i++;
            continue;
          }
          if (i < s.size() && s[i] == '}') {
            i++;
            break;
          }
          ok = fail("expected ',' or '}'");
          break;
        }
      }
    } else if (c == '[') {
      v.kind = Json::Array;
      i++;
      ws();
      if (i < s.size() && s[i] == ']') {
        i++;
      } else {
        for (;;) {
          v.arr.emplace_back();
          v.arr.back().where = v.where + "[" + std::to_string(v.arr.size() - 1) + "]";
          if (!value(v.arr.back())) {
            ok = false;
            break;
          }
          ws();
          if (i < s.size() && s[i] == ',') {
            i++;
            continue;
          }
          if (i < s.size() && s[i] == ']') {
            i++;
            break;
          }
          ok = fail("expected ',' or ']'");
          break;
        }
      }
    } else if (c == '"') {
      v.kind = Json::String;
      ok = str(v.str);
    } else if (s.compare(i, 4, "true") == 0) {
      v.kind = Json::Bool;
      v.b = true;
      i += 4;
    } else if (s.compare(i, 5, "false") == 0) {
      v.kind = Json::Bool;
      v.b = false;
      i += 5;
    } else if (s.compare(i, 4, "null") == 0) {
      v.kind = Json::Null;
      i += 4;
    } else {
      char* end = nullptr;
      v.kind = Json::Number;
      v.num = strtod(s.c_str() + i, &end);
      if (end == s.c_str() + i)
        ok = fail("unexpected character");
      else {
        v.numText.assign(s, i, (size_t)(end - (s.c_str() + i)));
        i = end - s.c_str();
      }
    }
    depth--;
    return ok;
  }
};

}  // namespace

bool Json::parse(const std::string& text, Json& out, std::string& err) {
  Parser p{text, 0, 0, std::string()};
  if (!p.value(out)) {
    err = p.err;
    return false;
  }
  p.ws();
  if (p.i != text.size()) {
    err = "trailing data at offset " + std::to_string(p.i);
    return false;
  }
  return true;
}

namespace {
[[noreturn]] void abortOnContractError(const std::string& what) {
  fprintf(stderr, "skiff: %s\n", what.c_str());
  abort();
}

const char* kindName(Json::Kind k) {
  switch (k) {
    case Json::Null:
      return "null";
    case Json::Bool:
      return "a boolean";
    case Json::Number:
      return "a number";
    case Json::String:
      return "a string";
    case Json::Array:
      return "an array";
    case Json::Object:
      return "an object";
  }
  return "?";
}

[[noreturn]] void wrongType(const Json& j, const char* want) {
  Json::onContractError("launch plan: " + (j.where.empty() ? std::string("the document") : j.where) + " is " +
                        kindName(j.kind) + ", expected " + want);
  abort();
}

// Integers from their text: strtod would round anything above 2^53.
bool integerText(const Json& j, bool wantUnsigned, int64_t& si, uint64_t& ui) {
  if (j.kind != Json::Number || j.numText.empty()) return false;
  const char* t = j.numText.c_str();
  for (const char* p = t; *p; p++)
    if (*p == '.' || *p == 'e' || *p == 'E') return false;
  char* end = nullptr;
  errno = 0;
  if (wantUnsigned && t[0] != '-')
    ui = strtoull(t, &end, 10);
  else if (wantUnsigned) {
    // -1 stands for "all ones" (RLIM_INFINITY): the plan writes no other negative unsigned value.
    si = strtoll(t, &end, 10);
    ui = (uint64_t)si;
  } else
    si = strtoll(t, &end, 10);
  return errno == 0 && end && *end == '\0';
}
}  // namespace

void (*Json::onContractError)(const std::string& what) = abortOnContractError;

const Json& Json::at(const char* key) const {
  if (kind != Object) wrongType(*this, "an object");
  const Json* j = get(key);
  if (!j) {
    onContractError("launch plan: " + (where.empty() ? std::string() : where + ".") + key + " is missing");
    abort();
  }
  return *j;
}

bool Json::asBool() const {
  if (kind != Bool) wrongType(*this, "a boolean");
  return b;
}

int64_t Json::asInt() const {
  int64_t si = 0;
  uint64_t ui = 0;
  if (!integerText(*this, false, si, ui)) wrongType(*this, "an integer");
  return si;
}

uint64_t Json::asU64() const {
  int64_t si = 0;
  uint64_t ui = 0;
  if (!integerText(*this, true, si, ui)) wrongType(*this, "an unsigned integer");
  return ui;
}

const std::string& Json::asString() const {
  if (kind != String) wrongType(*this, "a string");
  return str;
}

const std::vector<Json>& Json::asArray() const {
  if (kind != Array) wrongType(*this, "an array");
  return arr;
}

const std::vector<std::pair<std::string, Json>>& Json::asObject() const {
  if (kind != Object) wrongType(*this, "an object");
  return obj;
}

int64_t Json::integer(int64_t dflt) const {
  int64_t si = 0;
  uint64_t ui = 0;
  return integerText(*this, false, si, ui) ? si : kind == Number ? (int64_t)num : dflt;
}

uint64_t Json::u64(uint64_t dflt) const {
  int64_t si = 0;
  uint64_t ui = 0;
  return integerText(*this, true, si, ui) ? ui : kind == Number ? (uint64_t)num : dflt;
}

std::string jsonQuote(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\t':
        o += "\\t";
        break;
      case '\r':
        o += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += (char)c;
        }
    }
  }
  return o + "\"";
}

}  // namespace skiff
