// The attend binary's OpenMP wait policy (wait_policy.cpp).
#pragma once

namespace attend::cli {

/// When neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set: sets GOMP_SPINCOUNT to a short bounded spin and
/// re-executes the binary with the same arguments, so libgomp starts with it (it reads the variable once, before
/// main). Returns only when the environment already chose a policy, or when the re-exec failed (then the run goes on
/// with libgomp's default).
void use_bounded_spin_wait_policy(char** argv);

}  // namespace attend::cli
