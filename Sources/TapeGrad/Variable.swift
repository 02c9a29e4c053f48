/// A tensor on a ``Tape``: the value of an op, plus where it was recorded.
///
/// Ops on variables compute their value at once (eager execution) and record a pullback on
/// the tape. A variable is a small value (a tensor, a tape reference, an index); copying it
/// does not copy the tensor's storage.
public struct Variable<Scalar: TensorScalar> {
    /// The computed value.
    public let value: Tensor<Scalar>
    /// The tape the variable was recorded on.
    public let tape: Tape<Scalar>
    /// The node's position on the tape, or -1 when the tape is not recording.
    public let index: Int

    /// The shape of the value.
    public var shape: [Int] { value.shape }
}

extension Variable: CustomStringConvertible {
    /// The node index and the value.
    public var description: String { "Variable #\(index) \(value)" }
}
