import TapeGrad

/// The loss and its gradient with respect to every parameter, from one forward and one
/// backward pass on a fresh tape.
///
/// `function` receives the tape and one variable per parameter (declaration order) and
/// returns a scalar loss. This is the bridge between a model's parameters (a value) and the
/// tape (which exists for one evaluation only).
public func valueAndGradient<Scalar>(at parameters: Parameters<Scalar>,
                                     _ function: (Tape<Scalar>, [Variable<Scalar>]) -> Variable<Scalar>)
    -> (loss: Scalar, gradient: Parameters<Scalar>) {
    let tape = Tape<Scalar>()
    let variables = zip(parameters.names, parameters.tensors).map { tape.variable($1, name: $0) }
    let loss = function(tape, variables)
    precondition(loss.value.count == 1, "valueAndGradient: the function must return a scalar, got shape \(loss.shape)")
    let gradients = tape.gradients(of: loss, withRespectTo: variables)
    return (loss.value.scalar, parameters.withTensors(gradients))
}

/// Squared error over the observed entries only: for a dense output, Σ mask ⊙ (y − t)²; for a
/// sampled output, Σₚ (yₚ − vₚ)² over the pattern's entries with its values as targets.
/// Unobserved entries contribute nothing (the masking bug of computing the loss over zeros is
/// impossible by construction).
public func maskedSquaredError<Scalar>(_ output: LayerValue<Scalar>, target: Tensor<Scalar>? = nil,
                                       mask: Tensor<Scalar>? = nil) -> Variable<Scalar> {
    switch output {
    case .sampled(let values, let pattern):
        return sampledSquareLoss(values, targets: pattern)
    case .dense(let y):
        guard let target, let mask else { preconditionFailure("maskedSquaredError: a dense output needs a target and a mask") }
        return maskedSquareLoss(y, target: target, mask: mask)
    case .sparse:
        preconditionFailure("maskedSquaredError: the output is still the sparse input")
    }
}

/// The mean squared error (1/n) Σ (y − t)² over all elements, composed from primitive ops.
public func meanSquaredError<Scalar>(_ prediction: Variable<Scalar>, _ target: Tensor<Scalar>) -> Variable<Scalar> {
    square(prediction - target).mean()
}

/// The Frobenius penalty Σ‖W‖²_F over the parameters flagged as regularised (weights, not
/// biases); multiply by λ/2 for the usual weight decay. Zero when there are none.
public func weightPenalty<Scalar>(_ variables: [Variable<Scalar>], of parameters: Parameters<Scalar>) -> Variable<Scalar>? {
    let weights = zip(variables, parameters.regularized).filter { $0.1 }.map(\.0)
    return weights.isEmpty ? nil : frobeniusPenalty(weights)
}
