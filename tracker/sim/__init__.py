"""The built-in simulated panel for the demo, practice, tests and benchmarks."""
