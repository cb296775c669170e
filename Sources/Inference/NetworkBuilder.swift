import CDNNL

/// Graph → oneDNN primitives (called once from `CompiledNetwork.init`).
extension CompiledNetwork {
    func build() throws(InferenceError) {
        let inputCount = graph.inputs.count
        var consumers = [[Int]](repeating: [], count: graph.values.count)
        for (index, node) in graph.nodes.enumerated() {
            for input in node.inputs where !consumers[input].contains(index) { consumers[input].append(index) }
        }
        // A concat of graph inputs alone (e.g. current and previous luma) needs no step: the
        // inputs are laid out as the channel slices of the concat's plain buffer.
        var fused = Set<Int>()
        for (index, node) in graph.nodes.enumerated() {
            guard case .concat = node.operation, node.inputs.allSatisfy({ $0 < inputCount && consumers[$0] == [index] }),
                  Set(node.inputs).count == node.inputs.count else { continue }
            let joined = try DNNLMemory(desc: plainDesc(value: inputCount + index), engine: engine)
            retained.append(joined)
            storage[inputCount + index] = joined
            var offset = 0
            for input in node.inputs {
                let view = try DNNLMemory(view: plainDesc(value: input), of: joined, byteOffset: offset, engine: engine)
                storage[input] = view
                offset += view.byteCount
            }
            fused.insert(index)
            implementations.append("concat of inputs: no step")
        }
        for index in 0..<inputCount {
            if storage[index] == nil { storage[index] = try DNNLMemory(desc: plainDesc(value: index), engine: engine) }
            try inputMemories.append(stored(index))
        }
        for (index, node) in graph.nodes.enumerated() where !fused.contains(index) {
            let value = inputCount + index
            switch node.operation {
            case .conv2d(let parameters):
                // Nodes that alone consume this convolution's result can run as its post-ops:
                // ReLU, PReLU, and an add whose other operand is already computed. oneDNN has
                // fast kernels for some chains only; try the longest, then shorter ones.
                var chain: [(node: Int, op: PostOp)] = []
                var last = value
                while last != graph.output, consumers[last].count == 1, let next = consumers[last].first,
                      let op = fusable(graph.nodes[next], after: last) {
                    chain.append((next, op))
                    last = inputCount + next
                }
                if let (count, memory) = try conv16(parameters, input: node.inputs[0], output: value,
                                                    following: chain.first?.op) {
                    for (next, _) in chain.prefix(count) {
                        fused.insert(next)
                        storage[inputCount + next] = memory
                    }
                    continue
                }
                // oneDNN has no per-pixel bias: a block-grid-conditioned convolution runs bare,
                // then a `GridAddStep`, then what follows it as steps of their own.
                if parameters.biasPhase != nil { chain = [] }
                if chain.isEmpty {
                    // A ×2 pixel shuffle that alone consumes the result is written by the kernel itself.
                    let next = consumers[value].count == 1 ? consumers[value][0] : nil
                    let shuffle = next.flatMap { graph.nodes[$0].operation == .pixelShuffle(factor: 2) ? $0 : nil }
                    if let wroteShuffle = try smallConvolution(parameters, input: node.inputs[0], output: value,
                                                               shuffledInto: shuffle.map { inputCount + $0 }) {
                        if wroteShuffle, let shuffle { fused.insert(shuffle) }
                        continue
                    }
                }
                let base: [PostOp] = parameters.relu && parameters.biasPhase == nil ? [.relu] : []
                var length = chain.count
                var memory: DNNLMemory?
                while memory == nil {
                    memory = try convolution(parameters, input: node.inputs[0], output: value,
                                             post: base + chain.prefix(length).map(\.op), acceptReference: length == 0)
                    if memory == nil { length -= 1 }
                }
                for (next, _) in chain.prefix(length) {
                    fused.insert(next)
                    storage[inputCount + next] = memory
                }
                if parameters.biasPhase != nil { try gridAdd(parameters, value: value) }
            case .relu:
                let input = node.inputs[0]
                try eltwiseReLU(input: input, output: value, inPlace: input >= inputCount && consumers[input].count == 1)
            case .prelu(let slopes):
                let input = node.inputs[0]
                try prelu(slopes, input: input, output: value, inPlace: input >= inputCount && consumers[input].count == 1)
            case .add:
                try add(node.inputs[0], node.inputs[1], output: value)
            case .concat:
                try concat(node.inputs, output: value)
            case .pixelShuffle(let factor):
                try shuffle(input: node.inputs[0], output: value, factor: factor, up: true)
            case .pixelUnshuffle(let factor):
                try shuffle(input: node.inputs[0], output: value, factor: factor, up: false)
            }
        }
        outputMemory = try plain(graph.output)
    }

    private func fusable(_ node: GraphNode, after value: Int) -> PostOp? {
        switch node.operation {
        case .relu: return .relu
        case .prelu(let slopes):
            if let first = slopes.first, slopes.allSatisfy({ $0 == first }) { return .leakyReLU(slope: first) }
            return .prelu(slopes: slopes)
        case .add:
            guard let other = node.inputs.first(where: { $0 != value }), node.inputs.count == 2,
                  let memory = storage[other] else { return nil }
            return .add(memory)
        default: return nil
        }
    }

    /// `[1, C, h, w]` of value `index` at the compiled size.
    private func dims(value index: Int) -> [Int] {
        let size = graph.size(ofValue: index, width: width, height: height) ?? (width, height)
        return [1, graph.values[index].channels, size.height, size.width]
    }

    private func plainDesc(value index: Int) throws(InferenceError) -> dnnl_memory_desc_t {
        try DNNLDesc.make(dims(value: index), tag: dnnl_nchw)
    }

    private func stored(_ index: Int) throws(InferenceError) -> DNNLMemory {
        guard let memory = storage[index] else { throw .dnnl(call: "value \(graph.values[index].name) not computed", status: -1) }
        return memory
    }

    /// Value `index` in layout `desc`: its own memory, or a reorder step into a new one.
    private func memory(_ index: Int, as desc: dnnl_memory_desc_t) throws(InferenceError) -> DNNLMemory {
        let source = try stored(index)
        if DNNLDesc.equal(source.desc, desc) { return source }
        let target = try DNNLMemory(desc: desc, engine: engine)
        let reorder = try makeReorder(from: source.desc, to: desc, engine: engine)
        steps.append(.primitive(reorder, [arg(DNNL_ARG_FROM, source), arg(DNNL_ARG_TO, target)]))
        implementations.append("reorder " + reorder.implementation)
        retained.append(target)
        return target
    }

    /// Value `index` as plain NCHW.
    private func plain(_ index: Int) throws(InferenceError) -> DNNLMemory {
        try memory(index, as: plainDesc(value: index))
    }

    /// A memory in layout `desc` holding `values` given in plain layout `plainTag`, reordered once now.
    private func constant(_ values: [Float], dims: [Int], plainTag: dnnl_format_tag_t,
                          as desc: dnnl_memory_desc_t?) throws(InferenceError) -> DNNLMemory {
        let user = try DNNLMemory(desc: DNNLDesc.make(dims, tag: plainTag), engine: engine)
        user.fill(values)
        guard let desc, !DNNLDesc.equal(desc, user.desc) else { return user }
        let target = try DNNLMemory(desc: desc, engine: engine)
        let reorder = try makeReorder(from: user.desc, to: desc, engine: engine)
        try reorder.execute([arg(DNNL_ARG_FROM, user), arg(DNNL_ARG_TO, target)], on: engine)
        try dnnlCheck(dnnl_stream_wait(engine.stream), "stream_wait")
        return target
    }

    private func arg(_ kind: Int32, _ memory: DNNLMemory) -> dnnl_exec_arg_t {
        dnnl_exec_arg_t(arg: kind, memory: memory.memory)
    }

    private func create(_ opDesc: UnsafeRawPointer, attributes: DNNLAttributes?) throws(InferenceError) -> DNNLPrimitiveDesc {
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&pd, opDesc, attributes?.attr, engine.engine, nil), "primitive_desc_create")
        guard let pd else { throw .dnnl(call: "primitive_desc_create", status: -1) }
        return DNNLPrimitiveDesc(pd)
    }

    private func store(_ value: Int, desc: dnnl_memory_desc_t?) throws(InferenceError) -> DNNLMemory {
        guard let desc else { throw .dnnl(call: "query dst_md", status: -1) }
        let memory = try DNNLMemory(desc: desc, engine: engine)
        storage[value] = memory
        retained.append(memory)
        return memory
    }

    private func convolutionDescriptor(_ p: ConvolutionParameters, input: Int, source: dnnl_memory_desc_t?, output: Int,
                                       post: [PostOp]) throws(InferenceError) -> DNNLPrimitiveDesc {
        var src: dnnl_memory_desc_t
        if let source { src = source } else { src = try DNNLDesc.make(dims(value: input), tag: dnnl_format_tag_any) }
        var weights = try DNNLDesc.make([p.outChannels, p.inChannels, p.kernel, p.kernel], tag: dnnl_format_tag_any)
        var bias = try DNNLDesc.make([p.outChannels], tag: dnnl_x)
        var dst = try DNNLDesc.make(dims(value: output), tag: dnnl_format_tag_any)
        let pad = Int64(p.kernel / 2)
        let strides: [Int64] = [1, 1], padding: [Int64] = [pad, pad]
        var desc = dnnl_convolution_desc_t()
        let status: dnnl_status_t
        if p.bias != nil {
            status = dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
                                                        &src, &weights, &bias, &dst, strides, padding, padding)
        } else {
            status = dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
                                                        &src, &weights, nil, &dst, strides, padding, padding)
        }
        try dnnlCheck(status, "convolution_forward_desc_init")
        let attributes = try DNNLAttributes()
        try attributes.setPostOps(post)
        return try withUnsafePointer(to: &desc) { pointer throws(InferenceError) in
            try create(UnsafeRawPointer(pointer), attributes: attributes)
        }
    }

    /// Adds a convolution step; returns its output memory, or nil when only a reference
    /// implementation exists for these post-ops and `acceptReference` is false.
    private func convolution(_ p: ConvolutionParameters, input: Int, output: Int, post: [PostOp],
                             acceptReference: Bool = false) throws(InferenceError) -> DNNLMemory? {
        // The input's own layout first (no reorder when a fast kernel takes it, e.g. plain
        // inputs of a first convolution), then whatever layout oneDNN prefers.
        var pd = try convolutionDescriptor(p, input: input, source: stored(input).desc, output: output, post: post)
        if !pd.implementation.hasPrefix("jit") {
            pd = try convolutionDescriptor(p, input: input, source: nil, output: output, post: post)
        }
        if !acceptReference, !post.isEmpty, pd.implementation.hasPrefix("ref") { return nil }
        guard let srcDesc = pd.md(dnnl_query_src_md), let weightsDesc = pd.md(dnnl_query_weights_md) else {
            throw .dnnl(call: "query convolution descs", status: -1)
        }
        let source = try memory(input, as: srcDesc)
        let weightMemory: DNNLMemory
        let weightDims = [p.outChannels, p.inChannels, p.kernel, p.kernel]
        if p.weightQuantizer != nil {
            // kept with its plain copy and reorder: setQuantizer rewrites it
            let user = try DNNLMemory(desc: DNNLDesc.make(weightDims, tag: dnnl_oihw), engine: engine)
            user.fill(p.weights(quantizer: quantizer))
            var reorder: DNNLPrimitive?
            if !DNNLDesc.equal(weightsDesc, user.desc) {
                weightMemory = try DNNLMemory(desc: weightsDesc, engine: engine)
                let primitive = try makeReorder(from: user.desc, to: weightsDesc, engine: engine)
                try primitive.execute([arg(DNNL_ARG_FROM, user), arg(DNNL_ARG_TO, weightMemory)], on: engine)
                try dnnlCheck(dnnl_stream_wait(engine.stream), "stream_wait")
                reorder = primitive
            } else {
                weightMemory = user
            }
            retained.append(user)
            conditionedWeights.append(.dnnl(p, user: user, reorder: reorder, target: weightMemory))
        } else {
            weightMemory = try constant(p.weights, dims: weightDims, plainTag: dnnl_oihw, as: weightsDesc)
        }
        let destination = try store(output, desc: pd.md(dnnl_query_dst_md))
        var args = [arg(DNNL_ARG_SRC, source), arg(DNNL_ARG_WEIGHTS, weightMemory), arg(DNNL_ARG_DST, destination)]
        retained.append(weightMemory)
        if p.bias != nil {
            let biasMemory = try constant(p.bias(quantizer: quantizer), dims: [p.outChannels], plainTag: dnnl_x, as: nil)
            args.append(arg(DNNL_ARG_BIAS, biasMemory))
            retained.append(biasMemory)
            if p.biasQuantizer != nil {
                conditionedBiases.append((p, biasMemory.buffer.assumingMemoryBound(to: Float.self)))
            }
        }
        for (index, op) in post.enumerated() {
            let base = DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE * Int32(index + 1)
            switch op {
            case .relu, .leakyReLU: continue
            case .prelu(let slopes):
                let slopeMemory = try constant(slopes, dims: [1, slopes.count, 1, 1], plainTag: dnnl_abcd, as: nil)
                args.append(arg(base | DNNL_ARG_WEIGHTS, slopeMemory))
                retained.append(slopeMemory)
            case .add(let memory):
                args.append(arg(base | DNNL_ARG_SRC_1, memory))
            }
        }
        let primitive = try pd.primitive()
        steps.append(.primitive(primitive, args))
        let fused = post.map { op in
            switch op {
            case .relu: "+relu"
            case .leakyReLU: "+leaky_relu"
            case .prelu: "+prelu"
            case .add: "+add"
            }
        }.joined()
        implementations.append("conv \(p.inChannels)→\(p.outChannels) k\(p.kernel)\(fused) " + primitive.implementation)
        return destination
    }

    /// Adds a `SmallConvolutionStep` when it handles this convolution and its input is in
    /// `aBcd8b` (another convolution's output). With `shuffledInto` (the value of a ×2 pixel
    /// shuffle of a 4-channel result), the kernel writes that shuffled value directly. Returns
    /// nil when oneDNN must run the convolution, else whether the step wrote the shuffled value.
    private func smallConvolution(_ p: ConvolutionParameters, input: Int, output: Int,
                                  shuffledInto shuffled: Int?) throws(InferenceError) -> Bool? {
        guard projectKernels, SmallConvolutionStep.handles(p, threads: threads), let source = storage[input],
              let blocked = try? DNNLDesc.make(dims(value: input), tag: dnnl_aBcd8b), DNNLDesc.equal(blocked, source.desc)
        else { return nil }
        let size = dims(value: output)
        let shuffle = p.outChannels == 4 ? shuffled : nil
        let destination = try store(shuffle ?? output, desc: plainDesc(value: shuffle ?? output))
        var step = SmallConvolutionStep(
            p, source: UnsafePointer(source.buffer.assumingMemoryBound(to: Float.self)),
            destination: destination.buffer.assumingMemoryBound(to: Float.self), height: size[2], width: size[3],
            shuffled: shuffle != nil, threads: threads)
        if p.biasQuantizer != nil { conditionedBiases.append((p, step.bias.pointer)) }
        if p.weightQuantizer != nil {
            step.pack(p.weights(quantizer: quantizer))
            conditionedWeights.append(.small(p, step))
        }
        if p.biasPhase != nil {
            let tables = GridTables(p, height: size[2], width: size[3], entry: SmallConvolutionStep.maximumOutChannels,
                                    rowsIncludeBias: true, quantizer: quantizer, originX: originX, originY: originY)
            gridTables.append(tables)
            step.grid = tables
        }
        steps.append(.smallConvolution(step))
        implementations.append("conv \(p.inChannels)→\(p.outChannels) k\(p.kernel) loupe small_conv:avx2"
                               + (shuffle != nil ? " + pixel_shuffle" : ""))
        return shuffle != nil
    }

    /// Adds a `Conv16Step` when it handles this convolution from its input's layout (`aBcd8b` or
    /// plain NCHW), applying `following` when that is an activation. Returns how many following
    /// nodes it fused (0 or 1) and its output memory, or nil when oneDNN must run the convolution.
    private func conv16(_ p: ConvolutionParameters, input: Int, output: Int,
                        following: PostOp?) throws(InferenceError) -> (Int, DNNLMemory)? {
        guard let source = storage[input] else { return nil }
        let inputBlock: Int
        if let blocked = try? DNNLDesc.make(dims(value: input), tag: dnnl_aBcd8b), DNNLDesc.equal(blocked, source.desc) {
            inputBlock = 8
        } else if DNNLDesc.equal(try plainDesc(value: input), source.desc) {
            inputBlock = 1
        } else {
            return nil
        }
        guard projectKernels, Conv16Step.handles(p, inputBlock: inputBlock, threads: threads) else { return nil }
        var slopes: [Float]?, fusedCount = 0, fusedName = ""
        if !p.relu {
            switch following {
            case .relu: (slopes, fusedName) = ([Float](repeating: 0, count: 16), "+relu")
            case .leakyReLU(let slope): (slopes, fusedName) = ([Float](repeating: slope, count: 16), "+leaky_relu")
            case .prelu(let values): (slopes, fusedName) = (values, "+prelu")
            case .add, nil: break
            }
            if slopes != nil { fusedCount = 1 }
        }
        let size = dims(value: output)
        let destination = try store(output, desc: DNNLDesc.make(size, tag: dnnl_aBcd8b))
        var step = Conv16Step(
            p, inputBlock: inputBlock, slopes: slopes, source: UnsafePointer(source.buffer.assumingMemoryBound(to: Float.self)),
            destination: destination.buffer.assumingMemoryBound(to: Float.self), height: size[2], width: size[3],
            threads: threads)
        if p.biasQuantizer != nil { conditionedBiases.append((p, step.bias.pointer)) }
        if p.weightQuantizer != nil {
            step.pack(p.weights(quantizer: quantizer))
            conditionedWeights.append(.conv16(p, step))
        }
        if p.biasPhase != nil {
            let tables = GridTables(p, height: size[2], width: size[3], entry: 16, rowsIncludeBias: true,
                                    quantizer: quantizer, originX: originX, originY: originY)
            gridTables.append(tables)
            step.grid = tables
        }
        steps.append(.conv16(step))
        implementations.append("conv \(p.inChannels)→16 k3\(p.relu ? "+relu" : fusedName) loupe conv16:avx2")
        return (fusedCount, destination)
    }

    /// Adds the block-grid shifts (and the ReLU of a convolution that has one) to the output of
    /// a convolution oneDNN ran, in its layout when that is plain or `aBcd8b`, else after a
    /// reorder to plain.
    private func gridAdd(_ p: ConvolutionParameters, value: Int) throws(InferenceError) {
        var memory = try stored(value)
        var block = 1
        if let blocked = try? DNNLDesc.make(dims(value: value), tag: dnnl_aBcd8b), DNNLDesc.equal(blocked, memory.desc) {
            block = 8
        } else {
            memory = try plain(value)
            storage[value] = memory
        }
        let size = dims(value: value)
        let tables = GridTables(p, height: size[2], width: size[3], entry: p.outChannels, rowsIncludeBias: false,
                                quantizer: quantizer, originX: originX, originY: originY)
        gridTables.append(tables)
        steps.append(.gridAdd(GridAddStep(data: memory.buffer.assumingMemoryBound(to: Float.self), channels: p.outChannels,
                                          height: size[2], width: size[3], block: block, tables: tables, relu: p.relu)))
        implementations.append("block-grid bias loop" + (block == 8 ? " on aBcd8b" : ""))
    }

    /// Output memory for an elementwise node: the input's own (in place) or a new one.
    private func elementwiseDestination(_ source: DNNLMemory, desc: dnnl_memory_desc_t?, output: Int,
                                        inPlace: Bool) throws(InferenceError) -> DNNLMemory {
        if inPlace, let desc, DNNLDesc.equal(desc, source.desc) {
            storage[output] = source
            return source
        }
        return try store(output, desc: desc)
    }

    private func eltwiseReLU(input: Int, output: Int, inPlace: Bool) throws(InferenceError) {
        let source = try stored(input)
        var data = source.desc
        var desc = dnnl_eltwise_desc_t()
        try dnnlCheck(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference, dnnl_eltwise_relu, &data, 0, 0),
                      "eltwise_forward_desc_init")
        let pd = try withUnsafePointer(to: &desc) { pointer throws(InferenceError) in
            try create(UnsafeRawPointer(pointer), attributes: nil)
        }
        let destination = try elementwiseDestination(source, desc: pd.md(dnnl_query_dst_md), output: output, inPlace: inPlace)
        let primitive = try pd.primitive()
        steps.append(.primitive(primitive, [arg(DNNL_ARG_SRC, source), arg(DNNL_ARG_DST, destination)]))
        implementations.append("relu " + primitive.implementation + (destination === source ? " in place" : ""))
    }

    private func prelu(_ slopes: [Float], input: Int, output: Int, inPlace: Bool) throws(InferenceError) {
        let source = try stored(input)
        var data = source.desc
        var weights = try DNNLDesc.make([1, slopes.count, 1, 1], tag: dnnl_format_tag_any)
        var desc = dnnl_prelu_desc_t()
        try dnnlCheck(dnnl_prelu_forward_desc_init(&desc, dnnl_forward_inference, &data, &weights), "prelu_forward_desc_init")
        let pd = try withUnsafePointer(to: &desc) { pointer throws(InferenceError) in
            try create(UnsafeRawPointer(pointer), attributes: nil)
        }
        let slopeMemory = try constant(slopes, dims: [1, slopes.count, 1, 1], plainTag: dnnl_abcd,
                                       as: pd.md(dnnl_query_weights_md))
        retained.append(slopeMemory)
        let destination = try elementwiseDestination(source, desc: pd.md(dnnl_query_dst_md), output: output, inPlace: inPlace)
        let primitive = try pd.primitive()
        steps.append(.primitive(primitive, [arg(DNNL_ARG_SRC, source), arg(DNNL_ARG_WEIGHTS, slopeMemory),
                                            arg(DNNL_ARG_DST, destination)]))
        implementations.append("prelu " + primitive.implementation + (destination === source ? " in place" : ""))
    }

    private func add(_ a: Int, _ b: Int, output: Int) throws(InferenceError) {
        let first = try stored(a)
        let second = try memory(b, as: first.desc)
        var src0 = first.desc, src1 = second.desc
        var dst = try DNNLDesc.make(dims(value: output), tag: dnnl_format_tag_any)
        var desc = dnnl_binary_desc_t()
        try dnnlCheck(dnnl_binary_desc_init(&desc, dnnl_binary_add, &src0, &src1, &dst), "binary_desc_init")
        let pd = try withUnsafePointer(to: &desc) { pointer throws(InferenceError) in
            try create(UnsafeRawPointer(pointer), attributes: nil)
        }
        let destination = try store(output, desc: pd.md(dnnl_query_dst_md))
        let primitive = try pd.primitive()
        steps.append(.primitive(primitive, [arg(DNNL_ARG_SRC_0, first), arg(DNNL_ARG_SRC_1, second),
                                            arg(DNNL_ARG_DST, destination)]))
        implementations.append("add " + primitive.implementation)
    }

    private func concat(_ inputs: [Int], output: Int) throws(InferenceError) {
        var sources: [DNNLMemory] = []
        for input in inputs { sources.append(try stored(input)) }
        let descs = sources.map(\.desc)
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_concat_primitive_desc_create(&pd, nil, Int32(descs.count), 1, descs, nil, engine.engine),
                      "concat_primitive_desc_create")
        guard let pd else { throw .dnnl(call: "concat_primitive_desc_create", status: -1) }
        let owned = DNNLPrimitiveDesc(pd)
        let destination = try store(output, desc: owned.md(dnnl_query_dst_md))
        var args: [dnnl_exec_arg_t] = []
        for (index, source) in sources.enumerated() { args.append(arg(DNNL_ARG_MULTIPLE_SRC + Int32(index), source)) }
        args.append(arg(DNNL_ARG_DST, destination))
        let primitive = try owned.primitive()
        steps.append(.primitive(primitive, args))
        implementations.append("concat " + primitive.implementation)
    }

    private func shuffle(input: Int, output: Int, factor: Int, up: Bool) throws(InferenceError) {
        var source = try stored(input)
        var block = 1
        if up, let blocked = try? DNNLDesc.make(dims(value: input), tag: dnnl_aBcd8b), DNNLDesc.equal(blocked, source.desc) {
            block = 8
        } else {
            source = try plain(input)
        }
        let destination = try store(output, desc: plainDesc(value: output))
        let low = up ? source : destination
        let high = up ? destination : source
        let shuffledChannels = up ? graph.values[output].channels : graph.values[input].channels
        let lowDims = up ? dims(value: input) : dims(value: output)
        steps.append(.shuffle(PixelShuffleStep(
            low: low.buffer.assumingMemoryBound(to: Float.self), high: high.buffer.assumingMemoryBound(to: Float.self),
            channels: shuffledChannels, height: lowDims[2], width: lowDims[3], factor: factor, up: up, lowBlock: block)))
        implementations.append((up ? "pixel_shuffle loop" : "pixel_unshuffle loop") + (block == 8 ? " from aBcd8b" : ""))
    }
}
