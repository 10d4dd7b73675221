// Writes the malformed inputs that the e2e parity tests feed to `attend parity`, derived from one good fixture:
//   make_bad_fixtures GOOD_FIXTURE OUT_DIR          (OUT_DIR is created)
// OUT_DIR/not_safetensors.txt   a text file
// OUT_DIR/no_format.safetensors valid safetensors without the "format" metadata
// OUT_DIR/unknown_module.safetensors, missing_tensor.safetensors (no param.bias), perturbed.safetensors (an output
// element moved by 0.5)
#include <fmt/core.h>

#include <filesystem>
#include <fstream>

#include "attend/io/safetensors.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    fmt::print(stderr, "usage: make_bad_fixtures GOOD_FIXTURE OUT_DIR\n");
    return 2;
  }
  try {
    const std::string out = argv[2];
    std::filesystem::create_directories(out);
    const attend::SafetensorsFile good = attend::read_safetensors(argv[1]);
    std::ofstream(out + "/not_safetensors.txt") << "this is a text file, not a safetensors fixture\n";

    auto metadata = good.metadata;
    metadata.erase("format");
    attend::write_safetensors(out + "/no_format.safetensors", good.tensors, metadata);

    metadata = good.metadata;
    metadata["module"] = "torch.nn.NoSuchModule";
    attend::write_safetensors(out + "/unknown_module.safetensors", good.tensors, metadata);

    auto tensors = good.tensors;
    tensors.erase("param.bias");
    attend::write_safetensors(out + "/missing_tensor.safetensors", tensors, good.metadata);

    tensors = good.tensors;
    attend::Tensor perturbed = tensors.at("output.output").clone();
    perturbed.data<float>()[0] += 0.5f;
    tensors["output.output"] = perturbed;
    attend::write_safetensors(out + "/perturbed.safetensors", tensors, good.metadata);
  } catch (const std::exception& e) {
    fmt::print(stderr, "make_bad_fixtures: {}\n", e.what());
    return 1;
  }
  return 0;
}
