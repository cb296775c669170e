import Foundation

/// The plots of a simulation run, as `loupe simulate` writes them next to timeseries.csv:
/// `rates.png` (capacity, the publisher's estimate, sent and delivered kbps), `delay.png` (uplink
/// queuing delay, 200 ms means) and `loss.png` (uplink packets lost per 200 ms). Pure: rows in,
/// PNG bytes out; the caller writes the files.
public struct SimulationPlots: Sendable {
    public var rates: Chart
    public var delay: Chart
    public var loss: Chart

    /// Capacities at or above this are trace placeholders ("unlimited"), not rates to plot against.
    public static let placeholderCapacityKbps = 100_000.0

    /// matplotlib's tab10 colors, so the plots look as they did when a Python script drew them.
    public static let capacityColor = RGBColor.black
    public static let estimateColor = RGBColor(31, 119, 180)
    public static let sentColor = RGBColor(RGBColor(255, 127, 14), alphaOverWhite: 0.7)
    public static let deliveredColor = RGBColor(RGBColor(44, 160, 44), alphaOverWhite: 0.7)
    public static let delayColor = RGBColor(214, 39, 40)
    public static let lossColor = RGBColor(148, 103, 189)

    public init(_ result: SimulationResult, name: String) {
        self.init(rows: result.rows, summary: result.summary, name: name)
    }

    /// - Parameters:
    ///   - name: the run's name, first in each title (e.g. the scenario file's name).
    ///   - summary: when given, the rates title adds utilization, delay p95 and loss.
    public init(rows: [TimeseriesRow], summary: SimulationSummary?, name: String) {
        func points(_ value: (TimeseriesRow) -> Double?) -> [Chart.Point] {
            rows.map { Chart.Point(x: $0.timeS, y: value($0)) }
        }

        rates = Chart(width: 1000, height: 400)
        rates.title = name
        if let s = summary {
            rates.title += String(format: "  (utilization %.2f, delay p95 %.0f ms, loss %.3f)",
                                  s.utilization, s.delayP95Ms, s.lossRate)
        }
        rates.xLabel = "time (s)"
        rates.yLabel = "kbps"
        rates.series = [
            Chart.Series(label: "capacity", color: Self.capacityColor, style: .step, points: points(\.capacityKbps)),
            Chart.Series(label: "publisher estimate", color: Self.estimateColor, points: points(\.estimateKbps)),
            Chart.Series(label: "sent", color: Self.sentColor, points: points(\.sentKbps)),
            Chart.Series(label: "delivered", color: Self.deliveredColor, points: points(\.deliveredKbps)),
        ]
        rates.yRange = Self.ratesRange(rows)

        delay = Chart(width: 1000, height: 280)
        delay.title = "\(name): uplink queuing delay (200 ms means)"
        delay.xLabel = "time (s)"
        delay.yLabel = "queuing delay (ms)"
        delay.showsLegend = false
        delay.series = [Chart.Series(label: nil, color: Self.delayColor, points: points(\.queueDelayMs))]

        loss = Chart(width: 1000, height: 280)
        loss.title = "\(name): uplink losses per 200 ms"
        loss.xLabel = "time (s)"
        loss.yLabel = "packets lost"
        loss.showsLegend = false
        loss.series = [Chart.Series(label: nil, color: Self.lossColor, style: .bars(width: 0.2),
                                    points: points { Double($0.losses) })]
        // Whole packets: a range of at least 0…5 keeps the ticks on integers; 5 % headroom keeps the
        // tallest bar off the frame.
        let mostLost = Double(rows.map(\.losses).max() ?? 0)
        loss.yRange = ChartAxis.rounded(0...max(5, mostLost * 1.05), target: 4)
    }

    /// The rates chart's y range: up to 1.6 × the largest real capacity (placeholders left out), as
    /// the plots always were; without any real capacity, up to the largest other rate.
    static func ratesRange(_ rows: [TimeseriesRow]) -> ClosedRange<Double>? {
        let capacities = rows.compactMap(\.capacityKbps).filter { $0.isFinite && $0 < placeholderCapacityKbps }
        if let top = capacities.max(), top > 0 { return 0...(top * 1.6) }
        let others = rows.flatMap { [$0.estimateKbps, $0.sentKbps, $0.deliveredKbps] }.filter(\.isFinite)
        guard let top = others.max(), top > 0 else { return nil }
        return ChartAxis.rounded(0...(top * 1.1), target: 6)
    }

    /// The three files, named as `loupe simulate` writes them.
    public func pngFiles() throws(PNGEncoder.EncodeError) -> [(name: String, bytes: [UInt8])] {
        [("rates.png", try rates.render().png()),
         ("delay.png", try delay.render().png()),
         ("loss.png", try loss.render().png())]
    }
}
