import CDNNL

/// Why a network could not be built or run.
public enum InferenceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A oneDNN call failed.
    case dnnl(call: String, status: Int)
    /// The input size is zero, too large, or not a multiple of the graph's alignment.
    case invalidSize(width: Int, height: Int, alignment: Int)
    /// `threads` outside 1…256.
    case invalidThreads(Int)
    /// Wrong number of inputs, or an input of the wrong shape.
    case inputMismatch(String)

    public var description: String {
        switch self {
        case .dnnl(let call, let status): "oneDNN \(call) failed (status \(status))"
        case .invalidSize(let width, let height, let alignment):
            "input size \(width)x\(height) is not usable (1…16384 a side, multiples of \(alignment))"
        case .invalidThreads(let threads): "\(threads) threads is not in 1…256"
        case .inputMismatch(let text): text
        }
    }
}

@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ call: String) throws(InferenceError) {
    guard status == dnnl_success else { throw .dnnl(call: call, status: Int(status.rawValue)) }
}

/// A CPU engine and an in-order stream on it.
final class DNNLEngine {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    init() throws(InferenceError) {
        var engine: dnnl_engine_t?
        try dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine_create")
        guard let engine else { throw .dnnl(call: "engine_create", status: -1) }
        var stream: dnnl_stream_t?
        let status = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue)
        guard status == dnnl_success, let stream else {
            dnnl_engine_destroy(engine)
            throw .dnnl(call: "stream_create", status: Int(status.rawValue))
        }
        self.engine = engine
        self.stream = stream
    }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }
}

/// A f32 memory descriptor helper.
enum DNNLDesc {
    static func make(_ dims: [Int], tag: dnnl_format_tag_t) throws(InferenceError) -> dnnl_memory_desc_t {
        var desc = dnnl_memory_desc_t()
        let dims64 = dims.map { Int64($0) } + [Int64](repeating: 0, count: max(0, 12 - dims.count))
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&desc, Int32(dims.count), dims64, dnnl_f32, tag), "memory_desc_init_by_tag")
        return desc
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }
}

/// A memory object over a zero-filled, 64-byte aligned buffer that it owns, or over part of
/// another memory's buffer (a view, which keeps that memory alive).
final class DNNLMemory {
    let desc: dnnl_memory_desc_t
    let buffer: UnsafeMutableRawPointer
    let byteCount: Int
    let memory: dnnl_memory_t
    /// The memory whose buffer this one views; nil when it owns its buffer.
    private let parent: DNNLMemory?

    init(desc: dnnl_memory_desc_t, engine: DNNLEngine) throws(InferenceError) {
        var desc = desc
        let size = max(dnnl_memory_desc_get_size(&desc), 4)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        var memory: dnnl_memory_t?
        let status = dnnl_memory_create(&memory, &desc, engine.engine, buffer)
        guard status == dnnl_success, let memory else {
            buffer.deallocate()
            throw .dnnl(call: "memory_create", status: Int(status.rawValue))
        }
        self.desc = desc
        self.buffer = buffer
        self.byteCount = size
        self.memory = memory
        parent = nil
    }

    /// A view of `parent`'s buffer from `byteOffset` on, laid out as `desc`.
    init(view desc: dnnl_memory_desc_t, of parent: DNNLMemory, byteOffset: Int, engine: DNNLEngine) throws(InferenceError) {
        var desc = desc
        let size = dnnl_memory_desc_get_size(&desc)
        guard byteOffset >= 0, byteOffset + size <= parent.byteCount else {
            throw .dnnl(call: "memory view outside its parent", status: -1)
        }
        let buffer = parent.buffer + byteOffset
        var memory: dnnl_memory_t?
        try dnnlCheck(dnnl_memory_create(&memory, &desc, engine.engine, buffer), "memory_create")
        guard let memory else { throw .dnnl(call: "memory_create", status: -1) }
        self.desc = desc
        self.buffer = buffer
        self.byteCount = size
        self.memory = memory
        self.parent = parent
    }

    /// Copies `values` into the buffer (the caller checked the layout is plain and sizes agree).
    func fill(_ values: [Float]) {
        let count = min(values.count, byteCount / 4)
        values.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            buffer.copyMemory(from: base, byteCount: count * 4)
        }
    }

    var floats: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: buffer.assumingMemoryBound(to: Float.self), count: byteCount / 4)
    }

    deinit {
        dnnl_memory_destroy(memory)
        if parent == nil { buffer.deallocate() }
    }
}

/// A primitive descriptor (owned) and queries on it.
final class DNNLPrimitiveDesc {
    let pd: dnnl_primitive_desc_t

    init(_ pd: dnnl_primitive_desc_t) { self.pd = pd }

    func md(_ what: dnnl_query_t, _ index: Int32 = 0) -> dnnl_memory_desc_t? {
        dnnl_primitive_desc_query_md(pd, what, index)?.pointee
    }

    /// The implementation's name ("jit:avx2", "ref:any", …).
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success,
              let name else { return "?" }
        return String(cString: name)
    }

    func primitive() throws(InferenceError) -> DNNLPrimitive {
        var primitive: dnnl_primitive_t?
        try dnnlCheck(dnnl_primitive_create(&primitive, pd), "primitive_create")
        guard let primitive else { throw .dnnl(call: "primitive_create", status: -1) }
        return DNNLPrimitive(primitive, implementation: implementation)
    }

    deinit { dnnl_primitive_desc_destroy(pd) }
}

/// A primitive (owned).
final class DNNLPrimitive {
    let primitive: dnnl_primitive_t
    let implementation: String

    init(_ primitive: dnnl_primitive_t, implementation: String) {
        self.primitive = primitive
        self.implementation = implementation
    }

    func execute(_ args: [dnnl_exec_arg_t], on engine: DNNLEngine) throws(InferenceError) {
        let status = args.withUnsafeBufferPointer { buffer in
            dnnl_primitive_execute(primitive, engine.stream, Int32(buffer.count), buffer.baseAddress)
        }
        try dnnlCheck(status, "primitive_execute")
    }

    deinit { dnnl_primitive_destroy(primitive) }
}

/// Owns a primitive attribute (post-ops).
final class DNNLAttributes {
    let attr: dnnl_primitive_attr_t

    init() throws(InferenceError) {
        var attr: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
        guard let attr else { throw .dnnl(call: "primitive_attr_create", status: -1) }
        self.attr = attr
    }

    /// Sets the post-ops in order: ReLU, ReLU with one negative slope (oneDNN's eltwise ReLU with
    /// alpha), per-channel PReLU (mask over the channel dimension), or the addition of another
    /// tensor (binary add, its layout given).
    func setPostOps(_ ops: [PostOp]) throws(InferenceError) {
        guard !ops.isEmpty else { return }
        var postOps: dnnl_post_ops_t?
        try dnnlCheck(dnnl_post_ops_create(&postOps), "post_ops_create")
        guard let postOps else { throw .dnnl(call: "post_ops_create", status: -1) }
        defer { dnnl_post_ops_destroy(postOps) }
        for op in ops {
            switch op {
            case .relu: try dnnlCheck(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "append_eltwise")
            case .leakyReLU(let slope):
                try dnnlCheck(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, slope, 0), "append_eltwise")
            case .prelu: try dnnlCheck(dnnl_post_ops_append_prelu(postOps, 1 << 1), "append_prelu")
            case .add(let memory):
                var desc = memory.desc
                try dnnlCheck(dnnl_post_ops_append_binary(postOps, dnnl_binary_add, &desc), "append_binary")
            }
        }
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, postOps), "attr_set_post_ops")
    }

    deinit { dnnl_primitive_attr_destroy(attr) }
}

/// A node folded into the convolution before it.
enum PostOp {
    case relu
    /// A PReLU whose channels share one slope: x for x > 0, else slope · x. oneDNN's AVX2
    /// convolution runs it in its output loop, where a per-channel PReLU falls back to a
    /// separate pass over the feature map.
    case leakyReLU(slope: Float)
    case prelu(slopes: [Float])
    /// `+ memory` (a value computed before the convolution runs).
    case add(DNNLMemory)
}

/// A oneDNN reorder from one memory to another, created and run once (weights) or kept as a step.
func makeReorder(from source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t,
                 engine: DNNLEngine) throws(InferenceError) -> DNNLPrimitive {
    var source = source, destination = destination
    var pd: dnnl_primitive_desc_t?
    try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &source, engine.engine, &destination, engine.engine, nil),
                  "reorder_primitive_desc_create")
    guard let pd else { throw .dnnl(call: "reorder_primitive_desc_create", status: -1) }
    return try DNNLPrimitiveDesc(pd).primitive()
}
