// Module: the base of every layer, a plain class with one registry of parameters, buffers and submodules.
//
// A layer registers its trainable tensors (register_parameter), its non-trainable state (register_buffer) and its
// sublayers (register_module) under PyTorch's names, in order. The registry is what the rest of attend walks:
// optimizers take parameters(), checkpoints save state_dict() and load_state_dict() reads a PyTorch state_dict, so
// names are dotted paths such as `encoder.layers.0.self_attn.in_proj_weight`. Modules are not copyable (share them
// with std::shared_ptr). New modules start in training mode, as in PyTorch.
//
// Usage:
//   struct Block : Module {  // members registered in declaration order
//     const Var& w = register_parameter("weight", Tensor::zeros({4, 4}));
//     std::shared_ptr<Linear> proj = register_module("proj", std::make_shared<Linear>(LinearOptions{4, 4}));
//   };
//   block.load_state_dict(read_safetensors("block.safetensors").tensors);  // names and shapes are checked
//
// A parameter is a leaf Var shared by the registry, the module's member and an optimizer's list: to(DType) replaces
// its value in place (Var::set_value), so every copy sees the converted tensor.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attend/autograd/var.hpp"

namespace attend::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) = delete;
  Module& operator=(Module&&) = delete;

  /// Registers a trainable tensor under `name` (no dots; unique within this module). An undefined `value` registers
  /// an absent optional parameter (PyTorch's `register_parameter("bias", None)`): it is left out of parameters() and
  /// state_dict(), and the returned Var is undefined. The reference stays valid for the module's lifetime.
  const Var& register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  /// Registers a non-trainable tensor (saved in state_dict, converted by to(), never given a gradient).
  const Tensor& register_buffer(const std::string& name, Tensor value);
  /// Registers a submodule; its entries appear as `name.<entry>` after this module's own entries of the same kind.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  /// Every defined parameter with its dotted name: this module's in registration order, then each child's.
  std::vector<std::pair<std::string, Var>> named_parameters() const;
  std::vector<Var> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  /// Direct submodules in registration order.
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
  /// Parameters and buffers by dotted name (the tensors themselves, not copies).
  std::map<std::string, Tensor> state_dict() const;

  /// Copies each entry of `state` into the parameter or buffer of that name, in place, converting between f32 and
  /// f64. Throws attend::Error before changing anything when a shape differs (naming the key, expected and got), a
  /// dtype cannot be converted, or (strict) names are missing or unexpected (listing them all).
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  /// Sets training mode here and in every submodule (dropout is active only in training).
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Forgets the gradients of every parameter.
  void zero_grad();
  /// Converts every parameter and floating buffer to `dtype` (f32 or f64), keeping requires_grad and the Vars'
  /// identity (gradients are dropped).
  void to(DType dtype);

 private:
  struct ParameterEntry {
    std::string name;
    Var var;
  };
  struct BufferEntry {
    std::string name;
    Tensor value;
  };
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name, const char* what) const;

  // deques: registering more entries never moves the ones already handed out by reference.
  std::deque<ParameterEntry> parameters_;
  std::deque<BufferEntry> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace attend::nn
