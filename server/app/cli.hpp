#pragma once
namespace relais::app {
/// The `relais` command line; returns the exit code.
int run_cli(int argc, char** argv);
}
