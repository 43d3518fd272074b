#pragma once
#include "../common/json.h"

namespace skiff {

// Joins the namespaces given by path (user first, so the others are entered with its rights),
// then creates those that must be made from inside: cgroup (rooted at the final cgroup) and time
// (its offsets are written before anything enters it).
void enterNamespaces(const Json& plan);
void setHostnames(const Json& plan);
void joinSessionKeyring(const Json& plan);

}  // namespace skiff
