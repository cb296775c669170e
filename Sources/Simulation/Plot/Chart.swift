import Foundation

/// A line/step/bar chart drawn onto a `RasterCanvas`: a frame with tick marks, nice tick values
/// and grid lines, the series, a legend, a title and axis labels. Pure: data in, pixels out.
public struct Chart: Sendable {
    public enum Style: Equatable, Sendable {
        /// Straight segments between consecutive points.
        case line
        /// Each value held until the next point's x, then a vertical jump ("steps-post").
        case step
        /// A bar from 0 to each value, `width` data units wide, centred on x.
        case bars(width: Double)
    }

    public struct Point: Equatable, Sendable {
        public var x: Double
        /// nil (or not finite): no value here, a gap in lines.
        public var y: Double?
        public init(x: Double, y: Double?) {
            self.x = x
            self.y = y
        }
    }

    public struct Series: Sendable {
        /// The legend's text; nil keeps the series out of the legend.
        public var label: String?
        public var color: RGBColor
        public var style: Style
        public var points: [Point]
        public init(label: String?, color: RGBColor, style: Style = .line, points: [Point]) {
            self.label = label
            self.color = color
            self.style = style
            self.points = points
        }
    }

    public var width: Int
    public var height: Int
    public var title = ""
    public var xLabel = ""
    public var yLabel = ""
    public var series: [Series] = []
    /// The x range shown; nil: from 0 (or the smallest x, if negative) to the largest x.
    public var xRange: ClosedRange<Double>?
    /// The y range shown; nil: from 0 (or below) to 5 % over the largest y, widened to a tick.
    public var yRange: ClosedRange<Double>?
    public var showsLegend = true
    /// Line thickness in pixels.
    public var lineWidth = 2
    /// Each font pixel is `textScale` × `textScale` pixels.
    public var textScale = 2

    public static let gridColor = RGBColor(225, 225, 225)
    public static let legendBorderColor = RGBColor(200, 200, 200)
    static let tickLength = 5

    public init(width: Int = 1000, height: Int = 400) {
        self.width = max(200, width)
        self.height = max(120, height)
    }

    /// The plot rectangle and data ranges: where `render()` puts each point.
    public var frame: ChartFrame {
        let s = textScale, glyph = BitmapFont.glyphHeight * textScale
        let top = title.isEmpty ? 12 : 12 + glyph + 10
        let bottom = Self.tickLength + 6 + glyph + (xLabel.isEmpty ? 0 : 6 + glyph) + 8
        let maxY = max(top + 10, height - bottom)
        let target = Self.yTickTarget(plotHeight: maxY - top)
        let x = xRange ?? autoXRange()
        let y = yRange ?? ChartAxis.rounded(autoYRange(), target: target)
        let yTicks = ChartAxis.ticks(in: y, target: target)
        let widest = yTicks.values.map { BitmapFont.width(of: ChartAxis.label($0, step: yTicks.step), scale: s) }.max() ?? 0
        let left = 10 + (yLabel.isEmpty ? 0 : glyph + 10) + widest + 6 + Self.tickLength
        let right = 20 + 2 * s
        let plot = RasterCanvas.PixelRect(minX: left, minY: top, maxX: max(left + 10, width - right), maxY: maxY)
        return ChartFrame(plot: plot, xRange: x, yRange: y)
    }

    /// About one x tick per 110 pixels, one y tick per 35.
    static func xTickTarget(plotWidth: Int) -> Int { max(2, plotWidth / 110) }
    static func yTickTarget(plotHeight: Int) -> Int { max(2, plotHeight / 35) }

    /// Draws the chart.
    public func render() -> RasterCanvas {
        var canvas = RasterCanvas(width: width, height: height)
        let f = frame, p = f.plot, s = textScale
        let xTicks = ChartAxis.ticks(in: f.xRange, target: Self.xTickTarget(plotWidth: p.maxX - p.minX))
        let yTicks = ChartAxis.ticks(in: f.yRange, target: Self.yTickTarget(plotHeight: p.maxY - p.minY))

        // Grid lines under everything else.
        for v in xTicks.values {
            let x = f.pixelPoint(x: v, y: 0).x
            canvas.fill(x0: x, y0: p.minY, x1: x, y1: p.maxY, Self.gridColor)
        }
        for v in yTicks.values {
            let y = f.pixelPoint(x: 0, y: v).y
            canvas.fill(x0: p.minX, y0: y, x1: p.maxX, y1: y, Self.gridColor)
        }

        canvas.clip = p
        for series in series { draw(series, on: &canvas, frame: f) }
        canvas.clip = nil

        // Frame, ticks and their labels.
        canvas.stroke(p, .black)
        for v in xTicks.values {
            let x = f.pixelPoint(x: v, y: 0).x
            canvas.fill(x0: x, y0: p.maxY, x1: x, y1: p.maxY + Self.tickLength, .black)
            let label = ChartAxis.label(v, step: xTicks.step)
            canvas.text(label, x: x - BitmapFont.width(of: label, scale: s) / 2, y: p.maxY + Self.tickLength + 6,
                        scale: s, .black)
        }
        for v in yTicks.values {
            let y = f.pixelPoint(x: 0, y: v).y
            canvas.fill(x0: p.minX - Self.tickLength, y0: y, x1: p.minX, y1: y, .black)
            let label = ChartAxis.label(v, step: yTicks.step)
            canvas.text(label, x: p.minX - Self.tickLength - 6 - BitmapFont.width(of: label, scale: s),
                        y: y - BitmapFont.capHeight * s / 2, scale: s, .black)
        }

        if showsLegend { drawLegend(on: &canvas, plot: p) }

        let center = (p.minX + p.maxX) / 2
        if !title.isEmpty {
            let w = BitmapFont.width(of: title, scale: s)
            canvas.text(title, x: max(4, min(center - w / 2, width - 4 - w)), y: 12, scale: s, .black)
        }
        if !xLabel.isEmpty {
            canvas.text(xLabel, x: center - BitmapFont.width(of: xLabel, scale: s) / 2,
                        y: p.maxY + Self.tickLength + 6 + BitmapFont.glyphHeight * s + 6, scale: s, .black)
        }
        if !yLabel.isEmpty {
            let middle = (p.minY + p.maxY) / 2
            canvas.text(yLabel, x: 10, y: middle + BitmapFont.width(of: yLabel, scale: s) / 2, scale: s, .black,
                        rotated: true)
        }
        return canvas
    }

    private func draw(_ series: Series, on canvas: inout RasterCanvas, frame f: ChartFrame) {
        let points = series.points.filter { $0.x.isFinite }
        func value(_ i: Int) -> Double? { points[i].y.flatMap { $0.isFinite ? $0 : nil } }
        switch series.style {
        case .line:
            for i in points.indices.dropLast() {
                guard let y0 = value(i), let y1 = value(i + 1) else { continue }
                let a = f.pixel(x: points[i].x, y: y0), b = f.pixel(x: points[i + 1].x, y: y1)
                canvas.line(x0: a.x, y0: a.y, x1: b.x, y1: b.y, series.color, thickness: lineWidth)
            }
        case .step:
            for i in points.indices.dropLast() {
                guard let y0 = value(i) else { continue }
                let a = f.pixel(x: points[i].x, y: y0), corner = f.pixel(x: points[i + 1].x, y: y0)
                canvas.line(x0: a.x, y0: a.y, x1: corner.x, y1: corner.y, series.color, thickness: lineWidth)
                if let y1 = value(i + 1) {
                    let b = f.pixel(x: points[i + 1].x, y: y1)
                    canvas.line(x0: corner.x, y0: corner.y, x1: b.x, y1: b.y, series.color, thickness: lineWidth)
                }
            }
        case .bars(let width):
            let base = min(max(0, f.yRange.lowerBound), f.yRange.upperBound)
            for i in points.indices {
                guard let y = value(i), y != base else { continue }
                let left = f.pixelPoint(x: points[i].x - width / 2, y: base)
                let right = f.pixelPoint(x: points[i].x + width / 2, y: y)
                canvas.fill(x0: left.x, y0: left.y, x1: max(left.x, right.x - 1), y1: right.y, series.color)
            }
        }
    }

    private func drawLegend(on canvas: inout RasterCanvas, plot p: RasterCanvas.PixelRect) {
        let entries = series.filter { $0.label != nil }
        guard !entries.isEmpty else { return }
        let s = textScale, row = BitmapFont.glyphHeight * s + 4, swatch = 30
        let textWidth = entries.map { BitmapFont.width(of: $0.label ?? "", scale: s) }.max() ?? 0
        let box = RasterCanvas.PixelRect(minX: p.minX + 10, minY: p.minY + 10,
                                         maxX: p.minX + 10 + 8 + swatch + 8 + textWidth + 8,
                                         maxY: p.minY + 10 + 6 + entries.count * row + 2)
        canvas.fill(x0: box.minX, y0: box.minY, x1: box.maxX, y1: box.maxY, .white)
        canvas.stroke(box, Self.legendBorderColor)
        for (n, entry) in entries.enumerated() {
            let top = box.minY + 6 + n * row
            let middle = top + BitmapFont.capHeight * s / 2
            let x0 = box.minX + 8
            if case .bars = entry.style {
                canvas.fill(x0: x0 + 8, y0: middle - 6, x1: x0 + swatch - 8, y1: middle + 6, entry.color)
            } else {
                canvas.line(x0: Double(x0), y0: Double(middle), x1: Double(x0 + swatch), y1: Double(middle),
                            entry.color, thickness: lineWidth)
            }
            canvas.text(entry.label ?? "", x: x0 + swatch + 8, y: top, scale: s, .black)
        }
    }

    private func autoXRange() -> ClosedRange<Double> {
        var low = 0.0, high = -Double.infinity
        for series in series {
            var pad = 0.0
            if case .bars(let w) = series.style, w.isFinite { pad = abs(w) / 2 }
            for point in series.points where point.x.isFinite {
                low = min(low, point.x - pad)
                high = max(high, point.x + pad)
            }
        }
        return high > low ? low...high : low...(low + 1)
    }

    private func autoYRange() -> ClosedRange<Double> {
        var low = 0.0, high = -Double.infinity
        for series in series {
            for point in series.points {
                guard let y = point.y, y.isFinite else { continue }
                low = min(low, y)
                high = max(high, y)
            }
        }
        return high > low ? low...(high + (high - low) * 0.05) : low...(low + 1)
    }
}

/// Tick values and labels for a chart axis: "nice" steps of 1, 2 or 5 × 10ⁿ.
public enum ChartAxis {
    /// The smallest 1, 2 or 5 × 10ⁿ that is at least `raw` (1 for a non-positive or non-finite `raw`).
    public static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10
        return nice * magnitude
    }

    /// About `target` ticks covering `range`: every multiple of a nice step inside it.
    public static func ticks(in range: ClosedRange<Double>, target: Int) -> (step: Double, values: [Double]) {
        let span = range.upperBound - range.lowerBound
        let step = niceStep(span / Double(max(1, target)))
        guard span.isFinite, span > 0 else { return (step, [range.lowerBound]) }
        var values: [Double] = []
        var k = (range.lowerBound / step - 1e-9).rounded(.up)
        while k * step <= range.upperBound + step * 1e-9, values.count < 1000 {
            values.append(abs(k) < 1e-12 ? 0 : k * step)
            k += 1
        }
        return (step, values)
    }

    /// `range` widened outwards to multiples of the nice step for about `target` ticks.
    public static func rounded(_ range: ClosedRange<Double>, target: Int) -> ClosedRange<Double> {
        let step = niceStep((range.upperBound - range.lowerBound) / Double(max(1, target)))
        let low = (range.lowerBound / step + 1e-9).rounded(.down) * step
        let high = (range.upperBound / step - 1e-9).rounded(.up) * step
        return low...max(high, low + step)
    }

    /// The label of tick `value` on an axis whose ticks are `step` apart: as many decimals as
    /// the step needs, no "-0".
    public static func label(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 || step <= 0 ? 0 : Int(-floor(log10(step) + 1e-9))
        let v = abs(value) < abs(step) * 1e-9 ? 0 : value
        return String(format: "%.\(min(decimals, 10))f", v)
    }
}

/// Where a chart's data lands on its canvas: the plot rectangle and the data ranges it shows.
public struct ChartFrame: Equatable, Sendable {
    /// The plot area, frame included.
    public var plot: RasterCanvas.PixelRect
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>

    /// The pixel position (unrounded) of the data point (x, y); may lie outside the canvas.
    public func pixel(x: Double, y: Double) -> (x: Double, y: Double) {
        let xSpan = xRange.upperBound - xRange.lowerBound, ySpan = yRange.upperBound - yRange.lowerBound
        let px = Double(plot.minX) + (x - xRange.lowerBound) / xSpan * Double(plot.maxX - plot.minX)
        let py = Double(plot.maxY) - (y - yRange.lowerBound) / ySpan * Double(plot.maxY - plot.minY)
        return (px, py)
    }

    /// `pixel(x:y:)` rounded, each coordinate clamped to ±1 000 000 (so that it converts to `Int`).
    public func pixelPoint(x: Double, y: Double) -> (x: Int, y: Int) {
        let p = pixel(x: x, y: y)
        return (Self.clampedInt(p.x), Self.clampedInt(p.y))
    }

    static func clampedInt(_ v: Double) -> Int {
        guard v.isFinite else { return v > 0 ? 1_000_000 : -1_000_000 }
        return Int(max(-1_000_000, min(1_000_000, v.rounded())))
    }
}
