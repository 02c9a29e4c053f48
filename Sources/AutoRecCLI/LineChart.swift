import Foundation

/// A line chart rendered to a standalone SVG document, written by hand.
///
/// Training runs need a picture of their curves (loss per epoch, validation RMSE) that can be
/// produced on a headless Linux box with no plotting library and opened in any browser. One
/// value type holds everything; `svg()` is a pure function of it, so identical charts give
/// identical files and the output can be checked in tests.
///
/// Series can be attached to the left or to an optional right y-axis with its own scale, e.g.
/// training loss on the left and validation RMSE on the right. Right-axis series are drawn
/// dashed and marked "(right)" in the legend. Either y-axis can be logarithmic (a loss that
/// falls by orders of magnitude) and can be given a fixed range (the region a reader cares
/// about; points outside are cut off at the plot's edge). Vertical markers label an x value
/// (the epoch that was kept). Several charts can be stacked into one document
/// (``svg(stacking:)``). Points with a NaN or infinite coordinate are
/// skipped and break the line there; a run of one point is drawn as a dot; series with few
/// points get markers; a constant series gets a small range around its value; an empty series
/// still appears in the legend.
public struct LineChart: Sendable, Equatable {
    /// Which y-axis, and therefore which scale, a series is plotted against.
    public enum Axis: Sendable, Equatable {
        /// The primary scale, with the gridlines.
        case left
        /// A second scale, for a quantity with other units or magnitude (e.g. RMSE beside loss).
        case right
    }

    /// One data point; a struct rather than a tuple so series are Equatable.
    public struct Point: Sendable, Equatable {
        /// Horizontal coordinate (e.g. epoch).
        public var x: Double
        /// Vertical coordinate (e.g. loss).
        public var y: Double
        /// Plain memberwise initializer, public for callers outside the module.
        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    /// One named curve.
    public struct Series: Sendable, Equatable {
        /// Shown in the legend.
        public var name: String
        /// Drawn in order (not sorted), so the caller decides how points connect.
        public var points: [Point]
        /// The scale the series uses.
        public var axis: Axis
        /// Any SVG/CSS color (e.g. `#1f77b4`, `teal`); nil picks the next palette color, so
        /// most callers never choose colors.
        public var color: String?

        /// Builds a series from (x, y) pairs, the shape training logs usually have.
        public init(name: String, points: [(x: Double, y: Double)], axis: Axis = .left, color: String? = nil) {
            self.name = name
            self.points = points.map { Point(x: $0.x, y: $0.y) }
            self.axis = axis
            self.color = color
        }

        /// Builds a series from y values at x = firstX, firstX + 1, …, the common "one value
        /// per epoch" case.
        public init(name: String, values: [Double], firstX: Double = 1, axis: Axis = .left, color: String? = nil) {
            self.init(name: name, points: values.enumerated().map { (firstX + Double($0.offset), $0.element) },
                      axis: axis, color: color)
        }
    }

    /// How values map to positions along a y-axis.
    public enum Scale: Sendable, Equatable {
        /// Equal differences, equal distances.
        case linear
        /// Equal ratios, equal distances; values ≤ 0 are not drawn.
        case logarithmic
    }

    /// A vertical line at one x value, labelled at the top of the plot (e.g. "kept: epoch 97").
    public struct Marker: Sendable, Equatable {
        /// Where the line stands.
        public var x: Double
        /// Shown beside the top of the line.
        public var label: String
        /// Any SVG/CSS color.
        public var color: String

        /// Creates a marker (dark grey unless a color is given).
        public init(x: Double, label: String, color: String = "#444444") {
            self.x = x
            self.label = label
            self.color = color
        }
    }

    /// Tick positions for one axis: evenly spaced "nice" values (step 1, 2 or 5 × 10^k) whose
    /// first and last values enclose the data, so gridlines fall on round numbers; on a
    /// logarithmic axis, the values 1, 2, 5 × 10^k (or powers of ten alone) that enclose it.
    public struct Ticks: Sendable, Equatable {
        /// Lowest tick, at or below the data minimum; the axis starts here.
        public var lower: Double
        /// Highest tick, at or above the data maximum; the axis ends here.
        public var upper: Double
        /// Distance between ticks.
        public var step: Double
        /// All tick values from `lower` to `upper`, each the double nearest its decimal value
        /// (0.3, not 0.30000000000000004), so labels and tests are exact.
        public var values: [Double]
        /// Digits after the decimal point needed to label every tick exactly.
        public var fractionDigits: Int
        /// Whether the ticks belong to a logarithmic axis (then ``step`` is the ratio of the
        /// last two ticks and positions follow log10).
        public var isLogarithmic = false
    }

    /// Shown centered above the plot.
    public var title: String
    /// Shown under the x-axis.
    public var xLabel: String
    /// Shown rotated beside the left axis.
    public var yLabel: String
    /// Shown rotated beside the right axis, which exists only if a series uses it.
    public var rightYLabel: String
    /// The curves, drawn in order (later ones on top) and listed in the legend in order.
    public var series: [Series]
    /// Canvas width in SVG user units (pixels).
    public var width: Double
    /// Canvas height in SVG user units (pixels).
    public var height: Double
    /// The left axis's scale.
    public var leftScale: Scale = .linear
    /// The right axis's scale.
    public var rightScale: Scale = .linear
    /// A fixed range for the left axis (widened to nice ticks); nil: the data's range.
    public var leftRange: ClosedRange<Double>?
    /// A fixed range for the right axis (widened to nice ticks); nil: the data's range.
    public var rightRange: ClosedRange<Double>?
    /// Vertical lines at chosen x values, drawn over the series.
    public var markers: [Marker] = []

    /// Colors used for series without an explicit color, in order (Tableau 10, chosen for
    /// being distinguishable, also by most color-blind readers).
    public static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// Creates a chart; every part has a default so a quick plot needs only its series.
    public init(title: String = "", xLabel: String = "", yLabel: String = "", rightYLabel: String = "",
                series: [Series] = [], width: Double = 800, height: Double = 480) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.rightYLabel = rightYLabel
        self.series = series
        self.width = width
        self.height = height
    }

    // MARK: - Ticks

    /// Computes nice ticks covering [min, max] with about `targetCount` intervals.
    ///
    /// The step is the smallest of 1, 2, 5 × 10^k not below (max − min) / targetCount. An empty
    /// range (constant data) is widened by 10% of the value (±1 around zero) so it still gets
    /// an axis; non-finite input gives the ticks of [0, 1].
    public static func niceTicks(min lo: Double, max hi: Double, targetCount: Int = 5) -> Ticks {
        guard lo.isFinite, hi.isFinite else { return niceTicks(min: 0, max: 1, targetCount: targetCount) }
        var low = Swift.min(lo, hi), high = Swift.max(lo, hi)
        // Widen ranges that are empty or below double resolution for their magnitude.
        let magnitude = Swift.max(abs(low), abs(high))
        if high - low <= magnitude * 1e-12 {
            let pad = magnitude == 0 ? 1 : magnitude * 0.1
            low -= pad
            high += pad
        }
        let count = Double(Swift.max(1, targetCount))
        let raw = (high - low) / count
        var exponent = Int(floor(log10(raw)))
        let fraction = raw / pow(10, Double(exponent))
        var multiplier: Double
        if fraction <= 1 + 1e-9 { multiplier = 1 }
        else if fraction <= 2 + 1e-9 { multiplier = 2 }
        else if fraction <= 5 + 1e-9 { multiplier = 5 }
        else { multiplier = 1; exponent += 1 }

        // tick(k) = k·m·10^e, computed as an exact integer scaled by an exact power of ten so
        // the result is the double nearest the decimal value.
        func scaled(_ n: Double) -> Double {
            exponent >= 0 ? n * pow(10, Double(exponent)) : n / pow(10, Double(-exponent))
        }
        let step = scaled(multiplier)
        let kLow = floor(low / step + 1e-9)
        let kHigh = ceil(high / step - 1e-9)
        var values: [Double] = []
        var k = kLow
        while k <= kHigh && values.count <= 1000 {
            let v = scaled(k * multiplier)
            values.append(v == 0 ? 0 : v)  // no "-0" labels
            k += 1
        }
        return Ticks(lower: values.first ?? low, upper: values.last ?? high, step: step,
                     values: values, fractionDigits: Swift.max(0, -exponent))
    }

    /// Ticks for a logarithmic axis covering [min, max] (both > 0): the values 1, 2 and 5 × 10^k
    /// from the largest at or below `min` to the smallest at or above `max`, or only powers of
    /// ten when that would give more than twice `targetCount` ticks. Non-positive or non-finite
    /// input gives the ticks of [1, 10].
    public static func logTicks(min lo: Double, max hi: Double, targetCount: Int = 5) -> Ticks {
        guard lo.isFinite, hi.isFinite, lo > 0, hi > 0 else { return logTicks(min: 1, max: 10, targetCount: targetCount) }
        let low = Swift.min(lo, hi), high = Swift.max(lo, hi)
        // Exact decimal values: k × 10^e computed from integers (see niceTicks).
        func value(_ k: Double, _ e: Int) -> Double { e >= 0 ? k * pow(10, Double(e)) : k / pow(10, Double(-e)) }
        let first = Int(floor(log10(low))) - 1, last = Int(ceil(log10(high))) + 1
        func covering(_ mantissas: [Double]) -> [Double] {
            let all = (first...last).flatMap { e in mantissas.map { value($0, e) } }
            let start = all.lastIndex { $0 <= low * (1 + 1e-12) } ?? 0
            let end = all.firstIndex { $0 >= high * (1 - 1e-12) } ?? all.count - 1
            return Array(all[start...Swift.max(start + 1, end)])
        }
        var values = covering([1, 2, 5])
        if values.count > 2 * targetCount { values = covering([1]) }
        let n = values.count
        return Ticks(lower: values[0], upper: values[n - 1], step: values[n - 1] / values[n - 2], values: values,
                     fractionDigits: Swift.max(0, -Int(floor(log10(values[0])))), isLogarithmic: true)
    }

    /// Formats a tick value with exactly the digits its axis needs ("0.25", "1500", "2e-06"),
    /// so labels on one axis line up and never show binary noise. Axes reaching 10,000 or more
    /// use the SI suffixes k, M, G, T ("1.2M", "500k"), which read at a glance where
    /// "1200000" must be counted.
    public static func tickLabel(_ value: Double, ticks: Ticks) -> String {
        let largest = Swift.max(abs(ticks.lower), abs(ticks.upper))
        if largest >= 1e4 && largest < 1e15 && value != 0 {
            let exponent = Int(floor(log10(abs(value)) + 1e-9))
            let unitExponent = Swift.min(12, Swift.max(0, exponent / 3 * 3))
            let suffix = ["", "k", "M", "G", "T"][unitExponent / 3]
            // Logarithmic ticks have one significant digit; linear ones as many as their step.
            let stepExponent = ticks.isLogarithmic ? exponent : Int(floor(log10(ticks.step) + 1e-9))
            let digits = Swift.max(0, unitExponent - stepExponent)
            return String(format: "%.\(digits)f", value / pow(10, Double(unitExponent))) + suffix
        }
        if ticks.isLogarithmic {
            return String(format: "%.\(Swift.max(0, -Int(floor(log10(abs(value)) + 1e-9))))f", value)
        }
        if largest >= 1e15 || ticks.fractionDigits > 6 {
            // Scientific: as many significant digits as the step needs relative to the value.
            let digits = Swift.max(0, Int(floor(log10(Swift.max(abs(value), ticks.step)))) - Int(floor(log10(ticks.step))))
            return value == 0 ? "0" : String(format: "%.\(Swift.min(digits, 15))e", value)
        }
        return String(format: "%.\(ticks.fractionDigits)f", value)
    }

    // MARK: - Rendering

    /// Escapes text for XML content and attributes (`& < > " '`) and drops characters XML 1.0
    /// forbids, so any title or series name yields a well-formed document.
    public static func escapeXML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Coordinates with two decimals: enough for any screen, short and deterministic.
    private static func coordinate(_ v: Double) -> String {
        String(format: "%.2f", v)
    }

    /// Rough width of `text` in 12-px sans-serif, for laying out the legend without a font engine.
    private static func estimatedTextWidth(_ text: String, fontSize: Double = 12) -> Double {
        Double(text.count) * fontSize * 0.6
    }

    /// Finite points of a series split where a non-finite point (or, on a logarithmic axis, a
    /// value ≤ 0) interrupts it.
    private static func runs(_ points: [Point], scale: Scale = .linear) -> [[Point]] {
        var result: [[Point]] = []
        var current: [Point] = []
        for p in points {
            if p.x.isFinite && p.y.isFinite && (scale == .linear || p.y > 0) {
                current.append(p)
            } else if !current.isEmpty {
                result.append(current)
                current = []
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    private static func range(_ values: [Double]) -> (Double, Double)? {
        guard let lo = values.min(), let hi = values.max() else { return nil }
        return (lo, hi)
    }

    /// The complete SVG document (UTF-8 text with an XML declaration).
    public func svg() -> String {
        LineChart.document(width: width, height: height, title: title.isEmpty ? "Line chart" : title,
                           body: elements(idPrefix: ""))
    }

    /// One SVG document with `charts` stacked top to bottom (as wide as the widest), e.g. one
    /// panel per trained model.
    public static func svg(stacking charts: [LineChart]) -> String {
        var body = "", top = 0.0
        for (k, chart) in charts.enumerated() {
            body += "<g class=\"panel-\(k)\" transform=\"translate(0 \(coordinate(top)))\">\n" + chart.elements(idPrefix: "p\(k)-") + "</g>\n"
            top += chart.height
        }
        return document(width: charts.map(\.width).max() ?? 800, height: top,
                        title: charts.map(\.title).filter { !$0.isEmpty }.joined(separator: "; "), body: body)
    }

    /// The XML declaration and `<svg>` root around `body`.
    private static func document(width: Double, height: Double, title: String, body: String) -> String {
        let c = coordinate
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(c(width))\" height=\"\(c(height))\" viewBox=\"0 0 \(c(width)) \(c(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
            + "<title>\(escapeXML(title))</title>\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(c(width))\" height=\"\(c(height))\" fill=\"white\"/>\n"
            + body + "</svg>\n"
    }

    /// The chart's elements in its own coordinates (0…width, 0…height); `idPrefix` keeps the
    /// ids of several charts in one document apart.
    private func elements(idPrefix: String) -> String {
        let esc = LineChart.escapeXML
        let c = LineChart.coordinate
        let scales = series.map { $0.axis == .left ? leftScale : rightScale }
        let finite = zip(series, scales).map { s, scale in
            s.points.filter { $0.x.isFinite && $0.y.isFinite && (scale == .linear || $0.y > 0) }
        }
        let hasRight = series.contains { $0.axis == .right }
        let hasLeft = series.contains { $0.axis == .left } || !hasRight
        let colors = series.enumerated().map { $0.element.color ?? LineChart.palette[$0.offset % LineChart.palette.count] }

        // Legend layout: rows of (marker, name) items under the x-axis label.
        let legendItemHeight = 18.0
        let sideMargin = 16.0
        let leftMargin = 72.0
        let rightMargin = hasRight ? 72.0 : 24.0
        let plotLeft = leftMargin
        let plotRight = Swift.max(plotLeft + 10, width - rightMargin)
        var legendRows: [[(index: Int, x: Double)]] = []
        var cursorX = Double.infinity
        for (i, s) in series.enumerated() {
            let label = s.axis == .right ? "\(s.name) (right)" : s.name
            let itemWidth = 28 + LineChart.estimatedTextWidth(label) + 18
            if cursorX + itemWidth > width - sideMargin || legendRows.isEmpty {
                legendRows.append([])
                cursorX = sideMargin
            }
            legendRows[legendRows.count - 1].append((i, cursorX))
            cursorX += itemWidth
        }
        let topMargin = title.isEmpty ? 20.0 : 44.0
        let bottomMargin = 30 + (xLabel.isEmpty ? 0 : 22) + Double(legendRows.count) * legendItemHeight + 10
        let plotTop = topMargin
        let plotBottom = Swift.max(plotTop + 10, height - bottomMargin)
        let plotWidth = plotRight - plotLeft
        let plotHeight = plotBottom - plotTop

        // Scales.
        let xTarget = Swift.max(2, Swift.min(10, Int(plotWidth / 90)))
        let yTarget = Swift.max(2, Swift.min(10, Int(plotHeight / 55)))
        let allX = finite.flatMap { $0.map(\.x) }
        let xRange = LineChart.range(allX) ?? (0, 1)
        let xTicks = LineChart.niceTicks(min: xRange.0, max: xRange.1, targetCount: xTarget)
        func yTicks(_ axis: Axis) -> Ticks {
            let ys = zip(series, finite).filter { $0.0.axis == axis }.flatMap { $0.1.map(\.y) }
            let fixed = axis == .left ? leftRange : rightRange
            let r = fixed.map { ($0.lowerBound, $0.upperBound) } ?? LineChart.range(ys)
            switch axis == .left ? leftScale : rightScale {
            case .linear: return LineChart.niceTicks(min: r?.0 ?? 0, max: r?.1 ?? 1, targetCount: yTarget)
            case .logarithmic: return LineChart.logTicks(min: r?.0 ?? 1, max: r?.1 ?? 10, targetCount: yTarget)
            }
        }
        let leftTicks = yTicks(.left)
        let rightTicks = yTicks(.right)
        func px(_ x: Double) -> Double { plotLeft + (x - xTicks.lower) / (xTicks.upper - xTicks.lower) * plotWidth }
        func py(_ y: Double, _ t: Ticks) -> Double {
            t.isLogarithmic ? plotBottom - log10(y / t.lower) / log10(t.upper / t.lower) * plotHeight
                : plotBottom - (y - t.lower) / (t.upper - t.lower) * plotHeight
        }

        var s = ""
        s += "<defs><clipPath id=\"\(idPrefix)plot-area\"><rect x=\"\(c(plotLeft - 4))\" y=\"\(c(plotTop - 4))\" width=\"\(c(plotWidth + 8))\" height=\"\(c(plotHeight + 8))\"/></clipPath></defs>\n"
        if !title.isEmpty {
            s += "<text class=\"title\" x=\"\(c(width / 2))\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">\(esc(title))</text>\n"
        }

        // Grid (from the x ticks and from the primary y-axis).
        let gridTicks = hasLeft ? leftTicks : rightTicks
        s += "<g class=\"grid\" stroke=\"#e0e0e0\" stroke-width=\"1\">\n"
        for v in xTicks.values {
            s += "<line x1=\"\(c(px(v)))\" y1=\"\(c(plotTop))\" x2=\"\(c(px(v)))\" y2=\"\(c(plotBottom))\"/>\n"
        }
        for v in gridTicks.values {
            s += "<line x1=\"\(c(plotLeft))\" y1=\"\(c(py(v, gridTicks)))\" x2=\"\(c(plotRight))\" y2=\"\(c(py(v, gridTicks)))\"/>\n"
        }
        s += "</g>\n"

        // Axes, ticks, tick labels.
        s += "<g class=\"axes\" stroke=\"#333333\" stroke-width=\"1\" fill=\"none\">\n"
        s += "<line x1=\"\(c(plotLeft))\" y1=\"\(c(plotBottom))\" x2=\"\(c(plotRight))\" y2=\"\(c(plotBottom))\"/>\n"
        if hasLeft { s += "<line x1=\"\(c(plotLeft))\" y1=\"\(c(plotTop))\" x2=\"\(c(plotLeft))\" y2=\"\(c(plotBottom))\"/>\n" }
        if hasRight { s += "<line x1=\"\(c(plotRight))\" y1=\"\(c(plotTop))\" x2=\"\(c(plotRight))\" y2=\"\(c(plotBottom))\"/>\n" }
        s += "</g>\n"
        s += "<g class=\"x-ticks\" font-size=\"11\" fill=\"#333333\" text-anchor=\"middle\">\n"
        for v in xTicks.values {
            let x = px(v)
            s += "<line x1=\"\(c(x))\" y1=\"\(c(plotBottom))\" x2=\"\(c(x))\" y2=\"\(c(plotBottom + 5))\" stroke=\"#333333\"/>"
            s += "<text x=\"\(c(x))\" y=\"\(c(plotBottom + 18))\">\(esc(LineChart.tickLabel(v, ticks: xTicks)))</text>\n"
        }
        s += "</g>\n"
        // One y-axis's ticks: a tick mark from `markFrom` to `markTo` and a label at `labelX`.
        func yTicks(_ side: String, anchor: String, ticks: Ticks, markFrom: Double, markTo: Double, labelX: Double) {
            s += "<g class=\"y-ticks-\(side)\" font-size=\"11\" fill=\"#333333\" text-anchor=\"\(anchor)\">\n"
            for v in ticks.values {
                let y = py(v, ticks)
                s += "<line x1=\"\(c(markFrom))\" y1=\"\(c(y))\" x2=\"\(c(markTo))\" y2=\"\(c(y))\" stroke=\"#333333\"/>"
                s += "<text x=\"\(c(labelX))\" y=\"\(c(y + 4))\">\(esc(LineChart.tickLabel(v, ticks: ticks)))</text>\n"
            }
            s += "</g>\n"
        }
        if hasLeft {
            yTicks("left", anchor: "end", ticks: leftTicks, markFrom: plotLeft - 5, markTo: plotLeft, labelX: plotLeft - 8)
        }
        if hasRight {
            yTicks("right", anchor: "start", ticks: rightTicks, markFrom: plotRight, markTo: plotRight + 5, labelX: plotRight + 8)
        }

        // Axis labels.
        if !xLabel.isEmpty {
            s += "<text class=\"x-label\" x=\"\(c((plotLeft + plotRight) / 2))\" y=\"\(c(plotBottom + 40))\" text-anchor=\"middle\" font-size=\"13\">\(esc(xLabel))</text>\n"
        }
        if !yLabel.isEmpty && hasLeft {
            let x = 18.0, y = (plotTop + plotBottom) / 2
            s += "<text class=\"y-label\" x=\"\(c(x))\" y=\"\(c(y))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 \(c(x)) \(c(y)))\">\(esc(yLabel))</text>\n"
        }
        if !rightYLabel.isEmpty && hasRight {
            let x = width - 14, y = (plotTop + plotBottom) / 2
            s += "<text class=\"y-label-right\" x=\"\(c(x))\" y=\"\(c(y))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(90 \(c(x)) \(c(y)))\">\(esc(rightYLabel))</text>\n"
        }

        // Data.
        s += "<g class=\"series\" clip-path=\"url(#\(idPrefix)plot-area)\" fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n"
        for (i, series) in series.enumerated() {
            let ticks = series.axis == .left ? leftTicks : rightTicks
            let color = esc(colors[i])
            let dash = series.axis == .right ? " stroke-dasharray=\"7 4\"" : ""
            let pieces = LineChart.runs(series.points, scale: scales[i])
            let markers = finite[i].count <= 25
            s += "<g class=\"series-\(i)\" stroke=\"\(color)\"\(dash)>\n"
            for run in pieces where run.count >= 2 {
                let list = run.map { "\(c(px($0.x))),\(c(py($0.y, ticks)))" }.joined(separator: " ")
                s += "<polyline points=\"\(list)\"/>\n"
            }
            for run in pieces where markers || run.count == 1 {
                for p in run {
                    s += "<circle cx=\"\(c(px(p.x)))\" cy=\"\(c(py(p.y, ticks)))\" r=\"3\" fill=\"\(color)\" stroke=\"none\"/>\n"
                }
            }
            s += "</g>\n"
        }
        s += "</g>\n"
        // Markers: a dashed vertical line each, the label beside its top (left of it near the
        // right edge).
        for marker in markers where marker.x.isFinite && marker.x >= xTicks.lower && marker.x <= xTicks.upper {
            let x = px(marker.x), color = esc(marker.color)
            s += "<g class=\"marker\"><line x1=\"\(c(x))\" y1=\"\(c(plotTop))\" x2=\"\(c(x))\" y2=\"\(c(plotBottom))\" stroke=\"\(color)\" stroke-width=\"1.5\" stroke-dasharray=\"3 3\"/>"
            let flip = x + 4 + LineChart.estimatedTextWidth(marker.label, fontSize: 11) > plotRight
            s += "<text x=\"\(c(flip ? x - 4 : x + 4))\" y=\"\(c(plotTop + 14))\" text-anchor=\"\(flip ? "end" : "start")\" font-size=\"11\" fill=\"\(color)\">\(esc(marker.label))</text></g>\n"
        }
        if allX.isEmpty {
            s += "<text class=\"no-data\" x=\"\(c((plotLeft + plotRight) / 2))\" y=\"\(c((plotTop + plotBottom) / 2))\" text-anchor=\"middle\" fill=\"#888888\" font-size=\"14\">no data</text>\n"
        }

        // Legend.
        if !legendRows.isEmpty {
            s += "<g class=\"legend\" font-size=\"12\" fill=\"#222222\">\n"
            let legendTop = plotBottom + (xLabel.isEmpty ? 30 : 52)
            for (row, items) in legendRows.enumerated() {
                let y = legendTop + Double(row) * legendItemHeight
                for item in items {
                    let series = series[item.index]
                    let color = esc(colors[item.index])
                    let dash = series.axis == .right ? " stroke-dasharray=\"7 4\"" : ""
                    let label = series.axis == .right ? "\(series.name) (right)" : series.name
                    s += "<line x1=\"\(c(item.x))\" y1=\"\(c(y))\" x2=\"\(c(item.x + 22))\" y2=\"\(c(y))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>"
                    s += "<text x=\"\(c(item.x + 28))\" y=\"\(c(y + 4))\">\(esc(label))</text>\n"
                }
            }
            s += "</g>\n"
        }
        return s
    }

    /// Writes `svg()` as UTF-8, atomically (via Foundation), so a viewer refreshing the file
    /// during training never sees half a chart.
    public func write(to url: URL) throws {
        try Data(svg().utf8).write(to: url, options: .atomic)
    }
}
