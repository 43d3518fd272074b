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
  // A number as written: integers are read from the text, so 64-bit values stay exact.
  std::string numText;
  // Where this value sits in the document ("process.user.uid", "mounts[2].flags"), for errors.
  std::string where;

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

  // Strict access, for the launch plan (src/linux/launch-plan.ts is the other half of the
  // contract): a missing key or a value of the wrong type is reported through onContractError,
  // which does not return, so a misspelt key fails loudly instead of reading as false, 0 or "".
  const Json& at(const char* key) const;
  bool asBool() const;
  int64_t asInt() const;
  uint64_t asU64() const;
  const std::string& asString() const;
  const std::vector<Json>& asArray() const;
  const std::vector<std::pair<std::string, Json>>& asObject() const;
  // Must not return (the init reports the error and exits; the default aborts).
  static void (*onContractError)(const std::string& what);
  bool boolean(bool dflt = false) const { return kind == Bool ? b : dflt; }
  int64_t integer(int64_t dflt = 0) const;
  uint64_t u64(uint64_t dflt = 0) const;
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
