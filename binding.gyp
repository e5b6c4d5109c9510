# node-gyp description of the CPU build, for node-gyp-build's fallback and for
# prebuildify. The full build (CUDA kernels included) is CMakeLists.txt, driven
# by cmake-js from scripts/install.mjs. libtorch is located by
# scripts/find-libtorch.mjs (LIBTORCH, Torch_DIR or a Python torch).
{
  "targets": [
    {
      "target_name": "edge_classify",
      "sources": [
        "native/core/image.cc",
        "native/core/preprocess.cc",
        "native/core/roboflow_steps.cc",
        "native/core/postprocess.cc",
        "native/core/results.cc",
        "native/core/classifier.cc",
        "native/core/torch_backend.cc",
        "native/core/cpu_allocator.cc",
        "native/core/block_cache.cc",
        "native/core/scheduler.cc",
        "native/core/executor.cc",
        "native/core/openmp.cc",
        "native/core/thread_policy.cc",
        "native/core/js_thread.cc",
        "native/core/team_governor.cc",
        "native/core/loader.cc",
        "native/core/onnxruntime/library.cc",
        "native/core/tensorrt/library.cc",
        "native/core/tensorrt/engine_cache.cc",
        "native/core/tensorrt/build_plan.cc",
        "native/core/tensorrt/build_progress.cc",
        "native/addon/addon.cc",
        "native/addon/native_model.cc",
        "native/addon/results_js.cc",
        "native/addon/convert.cc",
        "native/addon/errors.cc",
        "native/addon/promise_worker.cc",
        "native/addon/js_channel.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-libtorch.mjs include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "_GLIBCXX_USE_CXX11_ABI=<!(node scripts/find-libtorch.mjs abi)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O3"],
      "libraries": [
        "-L<!(node scripts/find-libtorch.mjs libdir)",
        "-Wl,-rpath,<!(node scripts/find-libtorch.mjs libdir)",
        "-ltorch", "-ltorch_cpu", "-lc10", "-ldl"
      ]
    }
  ]
}
