/// The loops that do the arithmetic, on raw pointers. Each has a plain twin in `Reference` that
/// the tests compare it with and that is the better place to start reading.
public enum Kernels {}
