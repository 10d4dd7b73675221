// Parity runners for torch.nn.TransformerEncoderLayer and TransformerDecoderLayer.
#include "builtin_runners.hpp"

namespace attend::parity {

void register_transformer_runners(std::map<std::string, ParityRunner>& runners) { (void)runners; }

}  // namespace attend::parity
