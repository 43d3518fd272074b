{
  "targets": [
    {
      "target_name": "skiff",
      "sources": ["addon/binding.cc", "addon/systemd.cc", "addon/netdev.cc", "addon/id-maps.cc", "addon/criu.cc", "addon/common/json.cc", "addon/common/hook-runner.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,--gc-sections", "-Wl,-O1"]
    },
    {
      "target_name": "skiff-init",
      "type": "executable",
      "sources": [
        "addon/init/main.cc", "addon/init/report.cc", "addon/init/resolve.cc", "addon/init/rootfs.cc",
        "addon/init/process.cc", "addon/init/namespaces.cc", "addon/init/seccomp.cc", "addon/init/hooks.cc", "addon/init/trial.cc", "addon/common/json.cc", "addon/common/hook-runner.cc"
      ],
      "defines": ["_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Os", "-fno-exceptions", "-fno-rtti", "-Wall", "-Wextra", "-Wno-unused-parameter", "-ffunction-sections", "-fdata-sections"],
      "ldflags": ["-static", "-Wl,--gc-sections", "-s"],
      "libraries": ["-lseccomp"]
    },
    {
      "target_name": "skiff-launcher",
      "type": "executable",
      "sources": ["addon/launcher/main.cc"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Os", "-Wall", "-Wextra", "-ffunction-sections", "-fdata-sections"],
      "ldflags": ["-static", "-Wl,--gc-sections", "-s"]
    }
  ]
}
