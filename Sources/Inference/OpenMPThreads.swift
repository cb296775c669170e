#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The thread count oneDNN uses. Debian's libdnnl is built with `DNNL_CPU_RUNTIME ==
/// DNNL_RUNTIME_OMP` (see `dnnl_config.h`): its primitives take their thread count from
/// OpenMP's `omp_get_max_threads()` on the calling thread, once when a primitive is created (a
/// convolution's work split is fixed then) and again when it runs. OpenMP keeps that setting
/// per thread, so `CompiledNetwork` calls `omp_set_num_threads` on the calling thread before it
/// creates its primitives and before every run.
///
/// libgomp is loaded as libdnnl's dependency; its entry points are looked up with `dlsym`
/// rather than linked (the `CDNNL` module map names only `dnnl`), so this works without a
/// manifest change and degrades to "library default" when the symbols are absent.
enum OpenMPThreads {
    private typealias SetNumThreads = @convention(c) (Int32) -> Void
    private typealias GetMaxThreads = @convention(c) () -> Int32

    /// Addresses as integers (Sendable), 0 when the symbol is missing.
    private static let setAddress: Int = symbol("omp_set_num_threads")
    private static let getAddress: Int = symbol("omp_get_max_threads")

    private static func symbol(_ name: String) -> Int {
        guard let pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return 0 }
        return Int(bitPattern: pointer)
    }

    /// Whether the OpenMP runtime was found.
    static var isAvailable: Bool { setAddress != 0 && getAddress != 0 }

    /// Sets the calling thread's OpenMP thread count (for the parallel regions it starts).
    static func set(_ threads: Int) {
        guard let pointer = UnsafeRawPointer(bitPattern: setAddress) else { return }
        let function = unsafeBitCast(pointer, to: SetNumThreads.self)
        function(Int32(clamping: threads))
    }

    /// The calling thread's OpenMP thread count, or nil without OpenMP.
    static var current: Int? {
        guard let pointer = UnsafeRawPointer(bitPattern: getAddress) else { return nil }
        let function = unsafeBitCast(pointer, to: GetMaxThreads.self)
        return Int(function())
    }
}
