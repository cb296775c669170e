import FuzzDriver
runFuzzer { _ in }
