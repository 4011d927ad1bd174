// Everything tests/support offers, for tests that want it all in one include.
#pragma once

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/util.hpp"
