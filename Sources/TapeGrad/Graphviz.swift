import Foundation

extension Tape {
    /// The recorded graph in Graphviz DOT: one box per node (op name and output shape), one
    /// edge per input. `dot -Tsvg graph.dot > graph.svg` draws it; useful to see what a layer
    /// graph really computes and to spot an unexpected reuse or a constant recorded by mistake.
    ///
    /// - Parameter highlight: nodes to draw filled (for example the parameters and the loss).
    public func graphviz(highlight: [Variable<Scalar>] = []) -> String {
        let marked = Set(highlight.map(\.index))
        var lines = ["digraph tape {", "  rankdir=LR;", "  node [shape=box, fontname=\"Helvetica\", fontsize=10];"]
        for (i, node) in nodes.enumerated() {
            let shape = "[" + node.shape.map(String.init).joined(separator: "×") + "]"
            let label = "#\(i) \(node.op)\\n\(shape)".replacingOccurrences(of: "\"", with: "\\\"")
            let style = marked.contains(i) ? ", style=filled, fillcolor=\"#ffe8a0\""
                : node.pullback == nil ? ", style=rounded" : ""
            lines.append("  n\(i) [label=\"\(label)\"\(style)];")
        }
        for (i, node) in nodes.enumerated() {
            for input in node.inputs { lines.append("  n\(input) -> n\(i);") }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
