// relais: parse the command line, load the configuration, run. Nothing else.
#include "app/cli.hpp"

int main(int argc, char** argv) { return relais::app::run_cli(argc, argv); }
