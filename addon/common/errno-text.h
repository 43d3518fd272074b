// errno as skiff reports it, in C++ (src/errno.ts is the TypeScript half): the name and strerror's
// words in lower case, "ENOENT (no such file or directory)". The words are what callers such as
// podman and CRI-O match on.
#pragma once
#include <cctype>
#include <cstring>
#include <string>

namespace skiff {

inline std::string errnoWords(int err) {
  std::string text = strerror(err < 0 ? -err : err);
  for (auto& c : text) c = (char)tolower((unsigned char)c);
  return text;
}

inline std::string errnoText(int err) {
  if (err < 0) err = -err;
  const char* n = strerrorname_np(err);
  return std::string(n ? n : "errno " + std::to_string(err)) + " (" + errnoWords(err) + ")";
}

}  // namespace skiff
