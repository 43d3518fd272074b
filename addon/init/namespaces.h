#pragma once
#include "../common/json.h"

namespace skiff {

// Joins the namespaces given by path (user first, so the others are entered with its rights).
void enterNamespaces(const Json& plan, int sync);
// create: the namespaces that must be made from inside: those owned by a joined user namespace,
// cgroup (rooted at the final cgroup) and time (its offsets are written before anything enters it),
// and a pid namespace inside a joined user namespace (the init forks into it, telling skiff over sync).
void createNamespaces(const Json& plan, int sync);
void bringLoopbackUp();
void setHostnames(const Json& plan);
void joinSessionKeyring(const Json& plan);

}  // namespace skiff
