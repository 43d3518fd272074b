// A small JSON reader and writer. skiff-init must stay tiny and static, so it carries its own
// parser for the launch plan (which the TypeScript side produced and validated).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace skiff {

class Json {
 public:
  enum Kind { Null, Bool, Number, String, Array, Object };
  Json() = default;
  Kind kind = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;

  const Json* get(const char* key) const {
    if (kind != Object) return nullptr;
    for (auto& kv : obj)
      if (kv.first == key) return &kv.second;
    return nullptr;
  }
  const Json& operator[](const char* key) const {
    static const Json null;
    const Json* j = get(key);
    return j ? *j : null;
  }
  bool isNull() const { return kind == Null; }
  bool boolean(bool dflt = false) const { return kind == Bool ? b : dflt; }
  int64_t integer(int64_t dflt = 0) const { return kind == Number ? (int64_t)num : dflt; }
  uint64_t u64(uint64_t dflt = 0) const { return kind == Number ? (uint64_t)num : dflt; }
  const std::string& string() const { return str; }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    if (kind == Array)
      for (auto& e : arr) out.push_back(e.str);
    return out;
  }

  // Returns false on malformed input; err names the offset.
  static bool parse(const std::string& text, Json& out, std::string& err);
};

std::string jsonQuote(const std::string& s);

}  // namespace skiff
