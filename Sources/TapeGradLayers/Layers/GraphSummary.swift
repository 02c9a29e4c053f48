import TapeGrad
import Foundation

extension Graph {
    /// A table with one row per node: name, layer, inputs, output shape, stored parameter
    /// count (`shared` for a shared layer's later calls); then the outputs, the ties and the
    /// total.
    public var description: String {
        var rows = [["Node", "Layer", "Inputs", "Output shape", "Parameters"]]
        for step in steps {
            let inputs = step.inputs.map { steps[$0].label }.joined(separator: ", ")
            guard let layer = step.layer else {
                rows.append([step.label, "Input", "", step.shape.description, ""])
                continue
            }
            let stored = step.parameters.filter { $0 < parameterSpecs.count }
            let count = stored.reduce(0) { $0 + parameterSpecs[$1].count }
            let tiedCount = step.parameters.count - stored.count
            let parameters = !step.ownsParameters ? "shared" : tiedCount > 0 ? "\(count) + \(tiedCount) tied" : String(count)
            rows.append([step.label, layer.kind, inputs, step.shape.description, parameters])
        }
        let widths = (0..<5).map { c in rows.map { $0[c].count }.max()! }
        func line(_ row: [String]) -> String {
            let text = (0..<5).map { c in
                let pad = String(repeating: " ", count: widths[c] - row[c].count)
                return c == 4 ? pad + row[c] : row[c] + pad
            }.joined(separator: "  ")
            return String(text.reversed().drop { $0 == " " }.reversed())
        }
        let rule = String(repeating: "─", count: widths.reduce(8, +))
        var lines = [line(rows[0]), rule] + rows.dropFirst().map(line) + [rule]
        lines.append("Outputs: " + outputs.map { "\($0.name) = \(steps[$0.step].label)" }.joined(separator: ", "))
        for tie in tied {
            let sources = tie.sources.map { parameterSpecs[$0].name }.joined(separator: ", ")
            lines.append("Tied: \(tie.name) = \(type(of: tie.function))(\(sources))")
        }
        lines.append("Total parameters: \(parameterCount)")
        return lines.joined(separator: "\n")
    }

    /// The layer graph in Graphviz DOT (`dot -Tsvg`): a box per layer call with its kind,
    /// output shape and parameter count, an ellipse per input, an edge per data flow, and a
    /// dashed edge from the layer owning a tie's source to the layer using the tied parameter.
    /// (The tape's `graphviz()` draws the ops of one evaluation instead.)
    public func graphviz() -> String {
        func quoted(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines = ["digraph Graph {", "  rankdir=TB;", "  node [shape=box, fontname=\"Helvetica\"];"]
        for (i, step) in steps.enumerated() {
            if let layer = step.layer {
                let count = step.parameters.filter { $0 < parameterSpecs.count }.reduce(0) { $0 + parameterSpecs[$1].count }
                let parameters = step.ownsParameters ? (count > 0 ? "\\n\(count) parameters" : "") : "\\nshared"
                lines.append("  n\(i) [label=\(quoted(step.label + "\\n" + layer.kind + "\\n" + step.shape.description + parameters))];")
            } else {
                lines.append("  n\(i) [shape=ellipse, label=\(quoted(step.label + "\\n" + step.shape.description))];")
            }
            for j in step.inputs { lines.append("  n\(j) -> n\(i);") }
        }
        for (k, output) in outputs.enumerated() {
            lines.append("  out\(k) [shape=plaintext, label=\(quoted(output.name))];")
            lines.append("  n\(output.step) -> out\(k);")
        }
        // A tied parameter's sources belong to the first step that uses each of them.
        let owner = { (parameter: Int) in steps.firstIndex { $0.parameters.contains(parameter) } }
        for (t, tie) in tied.enumerated() {
            guard let user = owner(parameterSpecs.count + t) else { continue }
            for source in Set(tie.sources.compactMap(owner)) where source != user {
                lines.append("  n\(source) -> n\(user) [style=dashed, label=\(quoted("tied"))];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}
