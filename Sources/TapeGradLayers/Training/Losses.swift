import TapeGrad

/// The loss and its gradient with respect to every parameter, from one forward and one
/// backward pass on a fresh tape.
///
/// `function` receives the tape and one variable per parameter (declaration order) and
/// returns a scalar loss; it may throw (a ``GraphError`` for data of the wrong shape), and then
/// so does this. This is the bridge between a model's parameters (a value) and the
/// tape (which exists for one evaluation only).
public func valueAndGradient<Scalar, Failure: Error>(at parameters: Parameters<Scalar>,
                                                     _ function: (Tape<Scalar>, [Variable<Scalar>]) throws(Failure) -> Variable<Scalar>)
    throws(Failure) -> (loss: Scalar, gradient: Parameters<Scalar>) {
    let tape = Tape<Scalar>()
    let variables = zip(parameters.names, parameters.tensors).map { tape.variable($1, name: $0) }
    let loss = try function(tape, variables)
    precondition(loss.value.count == 1, "valueAndGradient: the function must return a scalar, got shape \(loss.shape)")
    let gradients = tape.gradients(of: loss, withRespectTo: variables)
    return (loss.value.scalar, parameters.withTensors(gradients))
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
