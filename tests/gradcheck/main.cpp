// The gradcheck tier's main: one gtest per registered row, then the registry test.
#include <gtest/gtest.h>

#include "gradcheck.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  attend::testing::register_gradcheck_tests();
  return RUN_ALL_TESTS();
}
