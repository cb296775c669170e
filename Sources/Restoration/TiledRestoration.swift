public import Inference
public import SansIO

/// The network side of one stream: runs the model over a luma plane tile by tile, keeps each
/// tile's network output (the residual that the skip is added to) between frames, and
/// recomputes only the tiles whose input window changed (temporal tile reuse), within an
/// optional time budget. Also keeps the temporal inputs (`prev_lr`, `prev_out`).
///
/// The residual is kept at output resolution as f32, so a reused tile's pixels are the
/// previous network output plus the *current* frame's skip.
public final class TiledRestoration {
    /// What one frame's `update` did.
    public struct FrameOutcome: Sendable, Hashable {
        public var computed = 0
        public var reused = 0
        /// Tiles the budget did not allow (their residual is zero; the caller shows bicubic there).
        public var fallenBack: [Int] = []
        public var fullFrame = false
        public var multiplyAccumulates = 0
    }

    public let graph: ModelGraph
    public let layout: TileLayout
    public let configuration: RestorationConfiguration
    let tileNetwork: CompiledNetwork
    let fullNetwork: CompiledNetwork?
    /// Network output at output resolution (`width·scale × height·scale`), row-major.
    public private(set) var residual: [Float]
    /// Per tile: the window's input when it was last computed; nil: must be computed.
    private var references: [[UInt8]?]
    private var previousInput: [UInt8]?
    private var previousOutput: [UInt8]?
    /// Recent costs (µs), for the budget.
    private var tileCost: Int64 = 0
    private var fullCost: Int64?

    /// - Parameter network: returns the compiled network for an input size (the processor
    ///   shares them between streams of one size).
    public init(graph: ModelGraph, width: Int, height: Int, configuration: RestorationConfiguration,
                network: (Int, Int) throws(InferenceError) -> CompiledNetwork) throws(InferenceError) {
        self.graph = graph
        self.configuration = configuration
        let halo = max(graph.receptiveField, graph.requiredReceptiveField)
        layout = configuration.tiling
            ? TileLayout(width: width, height: height, tileWidth: configuration.tileWidth,
                         tileHeight: configuration.tileHeight, halo: halo, alignment: graph.alignment)
            : TileLayout(width: width, height: height, tileWidth: width, tileHeight: height, halo: halo,
                         alignment: graph.alignment)
        tileNetwork = try network(layout.windowWidth, layout.windowHeight)
        fullNetwork = !layout.isFullFrame && configuration.fullFrameWhenCheaper ? try network(width, height) : nil
        residual = [Float](repeating: 0, count: width * height * graph.scale * graph.scale)
        references = [[UInt8]?](repeating: nil, count: layout.tiles.count)
    }

    /// Forgets everything computed (after an error): every tile is recomputed next frame.
    public func invalidate() {
        for i in references.indices { references[i] = nil }
        for i in residual.indices { residual[i] = 0 }
    }

    /// Brings `residual` up to date for this frame's luma (`layout.width × layout.height`,
    /// rows `stride` apart) and skip (output resolution, packed). `start` is when the frame's
    /// processing began on `clock`; the budget (`budget`, or nil: `configuration.frameBudget`)
    /// counts from there.
    public func update(luma: [UInt8], stride: Int, skip: [UInt8], start: Instant?,
                       clock: (@Sendable () -> Instant)?, budget: Duration? = nil,
                       quantizer: Float = 0) throws(InferenceError) -> FrameOutcome {
        let width = layout.width, height = layout.height, s = graph.scale
        // Tiles computed now use this frame's quantizer; tiles reused keep the one of their frame.
        tileNetwork.setQuantizer(quantizer)
        fullNetwork?.setQuantizer(quantizer)
        guard stride >= width, luma.count >= stride * (height - 1) + width, skip.count >= width * s * height * s else {
            throw .inputMismatch("luma or skip plane too small for \(width)x\(height)")
        }
        var outcome = FrameOutcome()
        var pending: [Int] = []
        for index in layout.tiles.indices {
            if configuration.tileReuse, !changed(index, luma: luma, stride: stride) {
                outcome.reused += 1
            } else {
                pending.append(index)
            }
        }
        guard !pending.isEmpty else { return outcome }
        let budget = (budget ?? configuration.frameBudget)?.microseconds
        if let full = fullNetwork, pending.count > 1,
           layout.processedArea(tiles: pending.count) >= width * height {
            var fits = true
            if let budget, let clock, let start, let fullCost {
                fits = (clock() - start).microseconds + fullCost <= budget
            }
            if fits {
                let before = budget != nil ? clock?() : nil
                try run(full, window: PixelRect(x: 0, y: 0, width: width, height: height), luma: luma, stride: stride, skip: skip)
                copy(full, window: PixelRect(x: 0, y: 0, width: width, height: height),
                     core: PixelRect(x: 0, y: 0, width: width, height: height))
                if let before, let after = clock?() { fullCost = (after - before).microseconds }
                for index in layout.tiles.indices { remember(index, luma: luma, stride: stride) }
                outcome.computed = layout.tiles.count
                outcome.reused = 0
                outcome.fullFrame = true
                outcome.multiplyAccumulates = full.multiplyAccumulates
                return outcome
            }
        }
        for (position, index) in pending.enumerated() {
            var before: Instant?
            if let budget, let clock, let start {
                let now = clock()
                if (now - start).microseconds + tileCost > budget {
                    for late in pending[position...] { fallBack(late) }
                    outcome.fallenBack = Array(pending[position...])
                    // Nothing ran: the estimate, only measured when a tile runs, would keep every
                    // later frame bicubic after one slow tile (a preempted thread). Halve it so a
                    // tile is tried again within a few frames and measured anew.
                    if position == 0 { tileCost /= 2 }
                    break
                }
                before = now
            }
            let tile = layout.tiles[index]
            try run(tileNetwork, window: tile.window, luma: luma, stride: stride, skip: skip)
            copy(tileNetwork, window: tile.window, core: tile.core)
            remember(index, luma: luma, stride: stride)
            outcome.computed += 1
            outcome.multiplyAccumulates += tileNetwork.multiplyAccumulates
            if let before, let after = clock?() {
                let cost = (after - before).microseconds
                tileCost = tileCost == 0 ? cost : (3 * tileCost + cost) / 4
            }
        }
        return outcome
    }

    /// Records this frame's input luma (packed) and final output luma for the temporal inputs.
    public func finish(input: [UInt8], output: [UInt8]) {
        if graph.inputRoles.contains(.previousInput) { previousInput = input }
        if graph.inputRoles.contains(.previousOutput) { previousOutput = output }
    }

    // MARK: tiles

    private func changed(_ index: Int, luma: [UInt8], stride: Int) -> Bool {
        guard let reference = references[index] else { return true }
        let window = layout.tiles[index].window
        let limit = configuration.maximumChange
        var sum = 0
        let changed: Bool = luma.withUnsafeBufferPointer { plane in
            reference.withUnsafeBufferPointer { old in
                for row in 0..<window.height {
                    let current = (window.y + row) * stride + window.x
                    let previous = row * window.width
                    for col in 0..<window.width {
                        let difference = abs(Int(plane[current + col]) - Int(old[previous + col]))
                        if difference > limit { return true }
                        sum += difference
                    }
                }
                return false
            }
        }
        return changed || Double(sum) > configuration.meanChange * Double(window.area)
    }

    private func remember(_ index: Int, luma: [UInt8], stride: Int) {
        guard configuration.tileReuse else { return }
        let window = layout.tiles[index].window
        var copy = [UInt8](repeating: 0, count: window.area)
        for row in 0..<window.height {
            let start = (window.y + row) * stride + window.x
            copy.replaceSubrange(row * window.width..<(row + 1) * window.width, with: luma[start..<(start + window.width)])
        }
        references[index] = copy
    }

    private func fallBack(_ index: Int) {
        references[index] = nil
        let core = layout.tiles[index].core, s = graph.scale
        let outputWidth = layout.width * s
        for row in (core.y * s)..<((core.y + core.height) * s) {
            let start = row * outputWidth + core.x * s
            for i in start..<(start + core.width * s) { residual[i] = 0 }
        }
    }

    /// Fills the network's inputs from `window` and runs it.
    private func run(_ network: CompiledNetwork, window: PixelRect, luma: [UInt8], stride: Int,
                     skip: [UInt8]) throws(InferenceError) {
        let s = graph.scale
        for (index, role) in graph.inputRoles.enumerated() {
            let buffer = network.input(index)
            switch role {
            case .currentLuma:
                PlaneCopy.window(luma, stride: stride, window, into: buffer)
            case .previousInput:
                if let previousInput {
                    PlaneCopy.window(previousInput, stride: layout.width, window, into: buffer)
                } else {
                    PlaneCopy.window(luma, stride: stride, window, into: buffer)
                }
            case .previousOutput:
                let high = PixelRect(x: window.x * s, y: window.y * s, width: window.width * s, height: window.height * s)
                PlaneCopy.unshuffledWindow(previousOutput ?? skip, stride: layout.width * s, high, factor: s, into: buffer)
            }
        }
        // a block-grid-conditioned model needs to know where in the frame (and so in the
        // codec's block grid) the window lies
        network.setOrigin(x: window.x, y: window.y)
        try network.execute()
    }

    /// Copies the core's part of the network output into `residual`.
    private func copy(_ network: CompiledNetwork, window: PixelRect, core: PixelRect) {
        let s = graph.scale
        let output = network.output
        let outputWidth = layout.width * s, networkWidth = window.width * s
        let rows = core.height * s, columns = core.width * s
        let sourceX = (core.x - window.x) * s, sourceY = (core.y - window.y) * s
        residual.withUnsafeMutableBufferPointer { target in
            guard let targetBase = target.baseAddress, let sourceBase = output.baseAddress else { return }
            for row in 0..<rows {
                let from = sourceBase + (sourceY + row) * networkWidth + sourceX
                let to = targetBase + (core.y * s + row) * outputWidth + core.x * s
                to.update(from: from, count: columns)
            }
        }
    }
}

/// 8-bit plane regions into f32 network inputs (value / 255).
enum PlaneCopy {
    /// `v / 255` for every byte value, computed once.
    static let unit: [Float] = (0...255).map { Float($0) / 255 }

    static func window(_ plane: [UInt8], stride: Int, _ window: PixelRect, into buffer: UnsafeMutableBufferPointer<Float>) {
        guard buffer.count >= window.area else { return }
        unit.withUnsafeBufferPointer { table in
            plane.withUnsafeBufferPointer { source in
                for row in 0..<window.height {
                    let from = (window.y + row) * stride + window.x
                    let to = row * window.width
                    for col in 0..<window.width { buffer[to + col] = table[Int(source[from + col])] }
                }
            }
        }
    }

    /// `pixel_unshuffle(factor)` of a region at output resolution: channel `i·factor + j`,
    /// pixel `(y, x)` = plane pixel `(high.y + y·factor + i, high.x + x·factor + j)`.
    static func unshuffledWindow(_ plane: [UInt8], stride: Int, _ high: PixelRect, factor: Int,
                                 into buffer: UnsafeMutableBufferPointer<Float>) {
        let lowWidth = high.width / factor, lowHeight = high.height / factor
        guard buffer.count >= lowWidth * lowHeight * factor * factor else { return }
        unit.withUnsafeBufferPointer { table in
            plane.withUnsafeBufferPointer { source in
                for i in 0..<factor {
                    for j in 0..<factor {
                        let channel = (i * factor + j) * lowWidth * lowHeight
                        for y in 0..<lowHeight {
                            let from = (high.y + y * factor + i) * stride + high.x + j
                            let to = channel + y * lowWidth
                            for x in 0..<lowWidth { buffer[to + x] = table[Int(source[from + x * factor])] }
                        }
                    }
                }
            }
        }
    }
}
