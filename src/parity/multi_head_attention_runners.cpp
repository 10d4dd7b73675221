// Parity runners for torch.nn.MultiheadAttention.
#include "builtin_runners.hpp"

namespace attend::parity {

void register_multi_head_attention_runners(std::map<std::string, ParityRunner>& runners) { (void)runners; }

}  // namespace attend::parity
