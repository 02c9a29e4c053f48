import TapeGrad

/// A value in a graph being declared: a named input, or a layer applied to earlier nodes
/// (`let h = Dense(…)(x)`). Nodes are symbolic — they hold no numbers — and immutable; a node
/// is a reference so that using `h` twice means one node with two consumers, not two copies.
/// Shapes are checked when the ``Graph`` is built, with messages naming the node.
public class Node: @unchecked Sendable {
    /// Where the node's value comes from.
    enum Source {
        /// An input of the graph.
        case input(name: String, shape: NodeShape)
        /// A layer applied to earlier nodes.
        case layer(any Layer, inputs: [Node])
    }
    let source: Source

    init(_ source: Source) { self.source = source }

    /// The nodes this one is computed from.
    var inputs: [Node] {
        if case .layer(_, let inputs) = source { return inputs }
        return []
    }

    /// The sum of two nodes of one shape (an ``Add`` merge).
    public static func + (lhs: Node, rhs: Node) -> Node { Add()(lhs, rhs) }
    /// The elementwise product of two nodes of one shape (a ``Multiply`` merge).
    public static func * (lhs: Node, rhs: Node) -> Node { Multiply()(lhs, rhs) }
}

/// A named input of a graph: dense features, sparse rows (ratings) or integer ids. Data is
/// passed to the built graph by these names.
public final class Input: Node, @unchecked Sendable {
    /// A dense batch × `features` input (a `Tensor`; a `SparseMatrix` passed here is densified).
    public init(_ name: String, features: Int) { super.init(.input(name: name, shape: .dense(features))) }
    /// A sparse batch × `features` input (a `SparseMatrix`, e.g. rating rows; a dense batch is
    /// accepted too). The layers reading it must accept sparse input (``Dense``, ``Dropout``).
    public init(_ name: String, sparse features: Int) { super.init(.input(name: name, shape: .sparse(features))) }
    /// One id in 0..<`ids` per row (`[Int32]`), for ``Embedding``.
    public init(_ name: String, ids: Int) { super.init(.input(name: name, shape: .ids(ids))) }
}

extension Layer {
    /// The layer applied to earlier nodes: a new node. Applying one named layer twice shares
    /// its parameters.
    public func callAsFunction(_ inputs: Node...) -> Node { Node(.layer(self, inputs: inputs)) }
    /// The layer applied to a list of nodes (a merge of a variable number of branches).
    public func callAsFunction(_ inputs: [Node]) -> Node { Node(.layer(self, inputs: inputs)) }
}

/// Marks a node as a named output of the graph. Without `Output` statements a graph has one
/// output, `output`: the last statement's node.
public struct Output: Sendable {
    /// The name the output is requested by.
    public var name: String
    /// The node.
    public var node: Node
    /// Creates an output.
    public init(_ name: String, _ node: Node) {
        self.name = name
        self.node = node
    }
}

/// One statement of a ``Graph`` block.
public enum GraphStatement: Sendable {
    /// A node: the chain continues from it (and it is the output if it is the last statement).
    case node(Node)
    /// A layer applied to the previous statement's node (the chain form).
    case layer(any Layer)
    /// A named output.
    case output(Output)
    /// A parameter computed from others.
    case tie(Tie)
    /// A parameter of the graph itself (for ties).
    case parameter(ParameterSpec)
}

/// Collects the statements of a ``Graph``: layers in a chain, nodes (`let h = Dense(…)(x)`),
/// outputs, ties and parameters, with `if`, `if/else` and `for`.
@resultBuilder
public enum GraphBuilder {
    /// A layer, applied to the previous statement's node.
    public static func buildExpression(_ layer: any Layer) -> [GraphStatement] { [.layer(layer)] }
    /// Several layers in a chain (a helper's result).
    public static func buildExpression(_ layers: [any Layer]) -> [GraphStatement] { layers.map { .layer($0) } }
    /// A node.
    public static func buildExpression(_ node: Node) -> [GraphStatement] { [.node(node)] }
    /// A named output.
    public static func buildExpression(_ output: Output) -> [GraphStatement] { [.output(output)] }
    /// A tie.
    public static func buildExpression(_ tie: Tie) -> [GraphStatement] { [.tie(tie)] }
    /// A parameter of the graph.
    public static func buildExpression(_ parameter: ParameterSpec) -> [GraphStatement] { [.parameter(parameter)] }
    /// A sequence of statements.
    public static func buildBlock(_ components: [GraphStatement]...) -> [GraphStatement] { components.flatMap { $0 } }
    /// `if` without `else`.
    public static func buildOptional(_ component: [GraphStatement]?) -> [GraphStatement] { component ?? [] }
    /// The `if` branch.
    public static func buildEither(first component: [GraphStatement]) -> [GraphStatement] { component }
    /// The `else` branch.
    public static func buildEither(second component: [GraphStatement]) -> [GraphStatement] { component }
    /// A `for` loop.
    public static func buildArray(_ components: [[GraphStatement]]) -> [GraphStatement] { components.flatMap { $0 } }
}
