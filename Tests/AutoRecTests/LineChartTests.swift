import Foundation
import Testing
@testable import AutoRecCLI
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses `svg` as XML; records an issue and returns nil if it is not well-formed.
private func parseXML(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) -> XMLDocument? {
    do {
        return try XMLDocument(data: Data(svg.utf8), options: [])
    } catch {
        Issue.record("SVG is not well-formed XML: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Elements with the given local name anywhere in the document.
private func elements(_ doc: XMLDocument, _ name: String) -> [XMLElement] {
    ((try? doc.nodes(forXPath: "//*[local-name()='\(name)']")) ?? []).compactMap { $0 as? XMLElement }
}

/// An attribute's value. Looked up through `attributes` because swift-corelibs-foundation's
/// `attribute(forName:)` returns nil inside a default namespace (as SVG's is).
private func attribute(_ element: XMLElement, _ name: String) -> String? {
    element.attributes?.first { $0.name == name }?.stringValue
}

/// Training loss (left) and validation RMSE (right): the chart the project draws most.
private func lossAndRMSEChart() -> LineChart {
    let loss = (1...40).map { e in (x: Double(e), y: 2.5 * exp(-Double(e) / 8) + 0.3 + 0.05 * sin(Double(e))) }
    let valid = stride(from: 5, through: 40, by: 5).map { e in (x: Double(e), y: 1.1 - 0.2 * log(Double(e)) / log(40)) }
    return LineChart(title: "AutoRec on ML-1M: loss & RMSE <I-AutoRec>", xLabel: "epoch", yLabel: "training loss",
                     rightYLabel: "validation RMSE",
                     series: [LineChart.Series(name: "train loss", points: loss),
                              LineChart.Series(name: "validation RMSE", points: valid, axis: .right)])
}

@Suite("LineChart ticks")
struct LineChartTickTests {
    @Test func unitRange() {
        let t = LineChart.niceTicks(min: 0, max: 1, targetCount: 5)
        #expect(t.values == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        #expect(t.step == 0.2)
        #expect(t.fractionDigits == 1)
        #expect(t.values.map { LineChart.tickLabel($0, ticks: t) } == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    @Test func stepsAreOneTwoOrFiveTimesAPowerOfTen() {
        #expect(LineChart.niceTicks(min: -3.7, max: 12.2, targetCount: 5).values == [-5, 0, 5, 10, 15])
        #expect(LineChart.niceTicks(min: 0, max: 0.97, targetCount: 5).values == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        #expect(LineChart.niceTicks(min: 1, max: 40, targetCount: 8).values == [0, 5, 10, 15, 20, 25, 30, 35, 40])
        #expect(LineChart.niceTicks(min: 120, max: 980, targetCount: 4).values == [0, 500, 1000])
        #expect(LineChart.niceTicks(min: 0.8312, max: 0.8497, targetCount: 5).values == [0.83, 0.835, 0.84, 0.845, 0.85])
        #expect(LineChart.niceTicks(min: 0.1, max: 0.3, targetCount: 2).values == [0.1, 0.2, 0.3])
        for (lo, hi) in [(0.0, 1.0), (-1e-7, 3e-7), (3.0, 1e9), (-50.0, -49.0), (0.001, 0.7), (17.0, 17.5)] {
            for target in 2...10 {
                let t = LineChart.niceTicks(min: lo, max: hi, targetCount: target)
                #expect(t.lower <= lo && t.upper >= hi, "\(lo)...\(hi) / \(target)")
                let mantissa = t.step / pow(10, floor(log10(t.step)))
                #expect([1, 2, 5].contains { abs(mantissa - Double($0)) < 1e-9 }, "step \(t.step)")
                #expect(t.values.count >= 2 && t.values.count <= 2 * target + 2)
                // Labels are distinct and none shows binary noise.
                let labels = t.values.map { LineChart.tickLabel($0, ticks: t) }
                #expect(Set(labels).count == labels.count, "\(labels)")
                #expect(!labels.contains { $0.contains("0000001") || $0.contains("99999") }, "\(labels)")
            }
        }
    }

    @Test func degenerateRanges() {
        #expect(LineChart.niceTicks(min: 0, max: 0, targetCount: 4).values == [-1, -0.5, 0, 0.5, 1])
        let constant = LineChart.niceTicks(min: 5, max: 5, targetCount: 5)
        #expect(constant.lower < 5 && constant.upper > 5)
        #expect(constant.values == [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6])
        #expect(LineChart.niceTicks(min: .nan, max: 1).values == LineChart.niceTicks(min: 0, max: 1).values)
        #expect(LineChart.niceTicks(min: 3, max: 1).values == LineChart.niceTicks(min: 1, max: 3).values)
        #expect(LineChart.niceTicks(min: -2, max: -0.0).values.allSatisfy { $0.sign == .minus || $0 == 0 })
        #expect(!LineChart.niceTicks(min: -2, max: 2).values.contains { $0 == 0 && $0.sign == .minus })
    }

    @Test func largeValuesUseSISuffixesTinyOnesScientificLabels() {
        let big = LineChart.niceTicks(min: 0, max: 3e9, targetCount: 3)
        #expect(big.values == [0, 1e9, 2e9, 3e9])
        #expect(big.values.map { LineChart.tickLabel($0, ticks: big) } == ["0", "1G", "2G", "3G"])
        let loss = LineChart.niceTicks(min: 0, max: 1.3e6, targetCount: 6)
        #expect(loss.values.map { LineChart.tickLabel($0, ticks: loss) } == ["0", "500k", "1.0M", "1.5M"])
        let thousands = LineChart.niceTicks(min: 9000, max: 13000, targetCount: 4)
        #expect(thousands.values.map { LineChart.tickLabel($0, ticks: thousands) } == ["9k", "10k", "11k", "12k", "13k"])
        let huge = LineChart.niceTicks(min: 0, max: 3e16, targetCount: 3)
        #expect(huge.values.map { LineChart.tickLabel($0, ticks: huge) } == ["0", "1e+16", "2e+16", "3e+16"])
        let tiny = LineChart.niceTicks(min: 0, max: 4e-8, targetCount: 4)
        #expect(tiny.values.map { LineChart.tickLabel($0, ticks: tiny) } == ["0", "1e-08", "2e-08", "3e-08", "4e-08"])
    }
}

@Suite("LineChart logarithmic axes, fixed ranges, markers, stacking")
struct LineChartAxisTests {
    @Test func logarithmicTicks() {
        let t = LineChart.logTicks(min: 60_000, max: 1_200_000, targetCount: 5)
        #expect(t.values == [50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000] && t.isLogarithmic)
        #expect(t.values.map { LineChart.tickLabel($0, ticks: t) } == ["50k", "100k", "200k", "500k", "1M", "2M"])
        // Many decades: powers of ten only.
        let wide = LineChart.logTicks(min: 0.003, max: 4e5, targetCount: 4)
        #expect(wide.values == [0.001, 0.01, 0.1, 1, 10, 100, 1000, 10_000, 100_000, 1_000_000])
        #expect(wide.values.prefix(4).map { LineChart.tickLabel($0, ticks: wide) } == ["0.001", "0.01", "0.1", "1"])
        // Non-positive input cannot be drawn on a log axis: the ticks of [1, 10].
        #expect(LineChart.logTicks(min: 0, max: 5).values == [1, 2, 5, 10])
        let exact = LineChart.logTicks(min: 100, max: 1000, targetCount: 5)
        #expect(exact.lower == 100 && exact.upper == 1000)
    }

    @Test func logAxisFixedRangeMarkerAndStack() throws {
        var chart = LineChart(title: "loss", xLabel: "epoch", yLabel: "loss", rightYLabel: "RMSE", series: [
            LineChart.Series(name: "loss", values: [1_200_000, 300_000, 90_000, 0, 80_000, 70_000]),
            LineChart.Series(name: "rmse", values: [1.75, 1.2, 0.95, 0.92, 0.91, 0.912], axis: .right),
        ])
        chart.leftScale = .logarithmic
        chart.rightRange = 0.9...0.96
        chart.markers = [LineChart.Marker(x: 5, label: "kept: epoch 5")]
        let svg = chart.svg()
        let doc = try #require(parseXML(svg))
        // The 0 loss is left out (a log axis cannot show it): the line breaks there.
        #expect(elements(doc, "polyline").map { (attribute($0, "points") ?? "").split(separator: " ").count } == [3, 2, 6])
        let texts = elements(doc, "text").compactMap(\.stringValue)
        #expect(texts.contains("kept: epoch 5") && texts.contains("1M") && texts.contains("100k"))
        // The right axis shows the fixed range, not the early 1.75.
        let right = svg.components(separatedBy: "<g class=\"y-ticks-right\"")[1].components(separatedBy: "</g>")[0]
        #expect(right.contains(">0.90<") && right.contains(">0.96<") && !right.contains(">1.8<"), "\(right)")
        // Two charts in one document: both panels, distinct clip paths.
        let stacked = LineChart.svg(stacking: [chart, chart])
        let stackedDoc = try #require(parseXML(stacked))
        #expect(Set(elements(stackedDoc, "clipPath").compactMap { attribute($0, "id") }).count == 2)
        #expect(stacked.contains("height=\"960.00\"") && stacked.contains("translate(0 480.00)"))
    }
}

@Suite("LineChart SVG")
struct LineChartSVGTests {
    @Test func trainingChartIsWellFormedWithExpectedParts() throws {
        let chart = lossAndRMSEChart()
        let svg = chart.svg()
        let doc = try #require(parseXML(svg))
        let root = try #require(doc.rootElement())
        #expect(root.localName == "svg")
        #expect(root.uri == "http://www.w3.org/2000/svg")
        #expect(attribute(root, "width") == "800.00")

        let texts = elements(doc, "text").compactMap(\.stringValue)
        #expect(texts.contains("AutoRec on ML-1M: loss & RMSE <I-AutoRec>"))  // unescaped by the parser
        #expect(texts.contains("epoch"))
        #expect(texts.contains("training loss"))
        #expect(texts.contains("validation RMSE"))
        #expect(texts.contains("train loss"))
        #expect(texts.contains("validation RMSE (right)"))
        // x ticks 0...40 and both y-axes labelled.
        #expect(texts.contains("0") && texts.contains("40"))
        let groups = Dictionary(elements(doc, "g").compactMap { g in attribute(g, "class").map { ($0, g) } },
                                uniquingKeysWith: { a, _ in a })
        #expect(groups["y-ticks-left"] != nil)
        #expect(groups["y-ticks-right"] != nil)
        #expect(groups["legend"] != nil)

        let polylines = elements(doc, "polyline")
        #expect(polylines.count == 2)
        let counts = polylines.map { (attribute($0, "points") ?? "").split(separator: " ").count }
        #expect(counts == [40, 8])
        // Every coordinate lies inside the canvas.
        for line in polylines {
            for pair in (attribute(line, "points") ?? "").split(separator: " ") {
                let xy = pair.split(separator: ",").compactMap { Double($0) }
                #expect(xy.count == 2)
                #expect(xy[0] >= 0 && xy[0] <= chart.width && xy[1] >= 0 && xy[1] <= chart.height)
            }
        }
        // Second series (right axis) is dashed; the first is not.
        let seriesGroups = elements(doc, "g").filter { attribute($0, "class")?.hasPrefix("series-") == true }
        #expect(seriesGroups.count == 2)
        #expect(attribute(seriesGroups[0], "stroke-dasharray") == nil)
        #expect(attribute(seriesGroups[1], "stroke-dasharray") != nil)
        #expect(attribute(seriesGroups[0], "stroke") == LineChart.palette[0])
        #expect(attribute(seriesGroups[1], "stroke") == LineChart.palette[1])
        // Deterministic.
        #expect(chart.svg() == svg)
    }

    @Test func titlesAndNamesAreEscaped() throws {
        let hostile = "a<b & c>d \"q\" 'x' ]]> <!-- \u{1}\u{FFFE}"
        let chart = LineChart(title: hostile, xLabel: "<x>", yLabel: "&", series: [
            .init(name: "</text><script>", values: [1, 2, 3], color: "red\"/><evil a=\""),
        ])
        let svg = chart.svg()
        #expect(svg.contains("a&lt;b &amp; c&gt;d &quot;q&quot; &apos;x&apos; ]]&gt; &lt;!--"))
        #expect(!svg.contains("<script>"))
        #expect(!svg.contains("<evil"))
        #expect(!svg.contains("\u{1}"))
        let doc = try #require(parseXML(svg))
        let texts = elements(doc, "text").compactMap(\.stringValue)
        #expect(texts.contains("a<b & c>d \"q\" 'x' ]]> <!-- "))
        #expect(texts.contains("<x>") && texts.contains("&") && texts.contains("</text><script>"))
        #expect(elements(doc, "script").isEmpty && elements(doc, "evil").isEmpty)
        #expect(LineChart.escapeXML("<&>") == "&lt;&amp;&gt;")
    }

    @Test func nonFinitePointsAreSkippedAndBreakTheLine() throws {
        let chart = LineChart(series: [
            .init(name: "gappy", points: [(0, 1), (1, 2), (2, .nan), (3, 4), (4, 5), (5, .infinity), (6, 2), (.nan, 3)]),
        ])
        let doc = try #require(parseXML(chart.svg()))
        let polylines = elements(doc, "polyline")
        #expect(polylines.map { (attribute($0, "points") ?? "").split(separator: " ").count } == [2, 2])
        #expect(elements(doc, "circle").count == 5)  // few points: every finite point gets a marker
        #expect(!chart.svg().lowercased().contains("nan"))
        #expect(!chart.svg().lowercased().contains("inf"))
        // y range from finite values only: ticks 1...5.
        let yTexts = ((try? doc.nodes(forXPath: "//*[local-name()='g'][@class='y-ticks-left']/*[local-name()='text']")) ?? [])
            .compactMap(\.stringValue)
        #expect(yTexts == ["1", "2", "3", "4", "5"])
    }

    @Test func singlePointConstantAndEmptySeries() throws {
        let single = LineChart(title: "one", series: [.init(name: "p", points: [(3, 7)])])
        let d1 = try #require(parseXML(single.svg()))
        #expect(elements(d1, "polyline").isEmpty)
        #expect(elements(d1, "circle").count == 1)

        let constant = LineChart(series: [.init(name: "flat", values: Array(repeating: 0.5, count: 100))])
        let d2 = try #require(parseXML(constant.svg()))
        let line = try #require(elements(d2, "polyline").first)
        let ys = Set((attribute(line, "points") ?? "").split(separator: " ").map { $0.split(separator: ",")[1] })
        #expect(ys.count == 1)
        #expect(elements(d2, "circle").isEmpty)  // many points: no markers

        let empty = LineChart(title: "nothing yet", series: [.init(name: "loss", points: [])])
        let d3 = try #require(parseXML(empty.svg()))
        #expect(elements(d3, "polyline").isEmpty)
        let texts = elements(d3, "text").compactMap(\.stringValue)
        #expect(texts.contains("loss"))  // still in the legend
        #expect(texts.contains("no data"))

        let none = LineChart()
        #expect(parseXML(none.svg()) != nil)

        let allNaN = LineChart(series: [.init(name: "nan", values: [.nan, .nan]), .init(name: "r", values: [], axis: .right)])
        #expect(parseXML(allNaN.svg()) != nil)
    }

    @Test func onlyRightAxisSeriesAndManySeriesLegendWrap() throws {
        let right = LineChart(rightYLabel: "rmse", series: [.init(name: "rmse", values: [0.9, 0.88, 0.87], axis: .right)])
        let d1 = try #require(parseXML(right.svg()))
        let classes = Set(elements(d1, "g").compactMap { attribute($0, "class") })
        #expect(classes.contains("y-ticks-right") && !classes.contains("y-ticks-left"))

        let many = LineChart(series: (0..<14).map { .init(name: "series number \($0)", values: [Double($0), Double($0) + 1]) }, width: 400)
        let d2 = try #require(parseXML(many.svg()))
        let legendLines = ((try? d2.nodes(forXPath: "//*[local-name()='g'][@class='legend']/*[local-name()='line']")) ?? [])
            .compactMap { $0 as? XMLElement }
        #expect(legendLines.count == 14)
        #expect(Set(legendLines.compactMap { attribute($0, "y1") }).count > 1)  // wrapped onto several rows
        #expect(legendLines.allSatisfy { Double(attribute($0, "x2") ?? "") ?? 1e9 <= 400 })
        // Colors cycle through the palette.
        let strokes = elements(d2, "g").filter { attribute($0, "class")?.hasPrefix("series-") == true }.compactMap { attribute($0, "stroke") }
        #expect(strokes[10] == LineChart.palette[0])
    }

    @Test func writesFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("training.svg")
        let chart = lossAndRMSEChart()
        try chart.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == chart.svg())
        // For looking at the chart: LINECHART_SAMPLE_DIR=/some/dir swift test --filter writesFile
        if let sampleDir = ProcessInfo.processInfo.environment["LINECHART_SAMPLE_DIR"] {
            try chart.write(to: URL(fileURLWithPath: sampleDir).appendingPathComponent("training.svg"))
            let gappy = LineChart(title: "Edge cases: NaN gap, single point, constant, empty", xLabel: "step", yLabel: "value",
                                  series: [.init(name: "gap", points: [(0, 1), (1, 2), (2, .nan), (3, 1.5), (4, 2.5)]),
                                           .init(name: "single", points: [(2, 0.5)]),
                                           .init(name: "constant", values: [1.25, 1.25, 1.25, 1.25], firstX: 0),
                                           .init(name: "empty", points: [])])
            try gappy.write(to: URL(fileURLWithPath: sampleDir).appendingPathComponent("edge.svg"))
        }
    }
}
