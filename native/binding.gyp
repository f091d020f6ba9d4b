{
  "targets": [
    {
      "target_name": "pcap_capture",
      "sources": [
        "src/addon.cc", "src/filter.cc",
        "core/filter-compile.c", "core/filter-ebpf.c", "core/filter-text.c", "core/pca-filter.c", "core/error.c"
      ],
      "include_dirs": [
        "<(module_root_dir)/deps/include",
        "<(module_root_dir)/core",
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra"],
      "libraries": ["<!@(grep pcap deps/link-flags)"],
      "ldflags": ["-Wl,--exclude-libs,ALL", "-static-libstdc++", "-static-libgcc"]
    }
  ]
}
