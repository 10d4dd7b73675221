// attend explain --example NAME: worked examples printed step by step in the terminal.
#pragma once

#include <string>

namespace attend::cli {

/// Prints the example `name` ("seed": the tutorial's one query over three (key, value) pairs under every scorer).
/// Throws attend::Error listing the names when `name` is unknown.
int run_explain_example(const std::string& name);

}  // namespace attend::cli
