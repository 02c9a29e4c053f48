import TapeGrad

/// The objective an optimizer minimises: the loss and its gradient at given parameters.
///
/// A closure rather than a (loss, gradient) pair so that optimizers which evaluate the function
/// more than once per step (L-BFGS with a line search) share the interface with those that
/// evaluate it once.
public typealias Objective<Scalar: TensorScalar> = (Parameters<Scalar>) -> (loss: Scalar, gradient: Parameters<Scalar>)

/// Updates parameters in place to lower an objective.
///
/// Optimizers own only their own state (moments, step sizes, history), never a copy of the
/// model: `update(&parameters, along: gradient)`. The state can be saved in a checkpoint
/// through ``state`` and restored with ``restore(_:)``, so training resumes exactly.
public protocol Optimizer<Scalar> {
    /// The element type of the parameters.
    associatedtype Scalar: TensorScalar

    /// Takes one step given the gradient at the current parameters.
    mutating func update(_ parameters: inout Parameters<Scalar>, along gradient: Parameters<Scalar>)

    /// Takes one step, evaluating the objective as often as the method needs, and returns the
    /// loss at the parameters it started from. The default evaluates once and calls
    /// ``update(_:along:)``.
    mutating func step(_ parameters: inout Parameters<Scalar>, objective: Objective<Scalar>) -> Scalar

    /// The optimizer's state as named tensors (names are prefixed with the parameter they
    /// belong to, e.g. `encoder.weight/m`), plus scalars such as the step count as rank-0
    /// tensors.
    var state: Parameters<Scalar> { get }

    /// Restores a state produced by ``state`` for parameters of the same names and shapes.
    mutating func restore(_ state: Parameters<Scalar>) throws(OptimizerStateError)
}

extension Optimizer {
    /// Evaluates the objective once and takes a gradient step.
    public mutating func step(_ parameters: inout Parameters<Scalar>, objective: Objective<Scalar>) -> Scalar {
        let (loss, gradient) = objective(parameters)
        update(&parameters, along: gradient)
        return loss
    }
}

/// A saved optimizer state that does not fit the optimizer or the parameters.
public struct OptimizerStateError: Error, CustomStringConvertible, Sendable {
    /// What does not match, naming the tensor and both shapes where relevant.
    public var description: String
    /// Creates an error with a message.
    public init(_ description: String) { self.description = description }
}
