// Parity runners for the attend.* scorers and GlobalAttention.
#include "builtin_runners.hpp"

namespace attend::parity {

void register_attention_runners(std::map<std::string, ParityRunner>& runners) { (void)runners; }

}  // namespace attend::parity
