// main() for the fuzz_replay_<target> executables of the normal (gcc) build:
// runs a fuzz target's LLVMFuzzerTestOneInput over every file of the
// directories given on the command line (the checked-in seed corpus and
// past crash inputs), so every CI run replays them without clang. A file
// argument is one input.
//
//   fuzz_replay_query tests/fuzz/corpus/query tests/fuzz/regressions/query
//
// Exit status: 0 when every input ran; 1 when an argument is missing or the
// first directory (the seeds) holds no file: a replay that runs nothing must
// not pass. Later directories (past crashes) may be empty. A
// target that finds a bug aborts, which fails the test with the input's
// name printed just before.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional, as with libFuzzer.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR...\n", argv[0]);
    return 1;
  }
  std::vector<std::vector<fs::path>> inputs;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_regular_file(argv[i], ec)) {
      files.push_back(argv[i]);
    } else {
      for (const fs::directory_entry& e : fs::recursive_directory_iterator(argv[i], ec)) {
        // Dot files (.gitkeep keeps an empty folder in git) are not inputs.
        if (e.is_regular_file(ec) && e.path().filename().string()[0] != '.') {
          files.push_back(e.path());
        }
      }
    }
    if (ec) {
      std::fprintf(stderr, "cannot read %s: %s\n", argv[i], ec.message().c_str());
      return 1;
    }
    // The first directory is the seed corpus: a replay that runs nothing
    // must not pass. Later ones (past crashes) may still be empty.
    if (files.empty() && i == 1) {
      std::fprintf(stderr, "%s holds no input: nothing to replay\n", argv[i]);
      return 1;
    }
    std::sort(files.begin(), files.end());
    inputs.push_back(std::move(files));
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  size_t count = 0;
  for (const std::vector<fs::path>& files : inputs) {
    for (const fs::path& path : files) {
      std::ifstream in(path, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        return 1;
      }
      std::fprintf(stderr, "replay %s (%zu bytes)\n", path.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  std::fprintf(stderr, "replayed %zu inputs: ok\n", count);
  return 0;
}
