import Foundation
import TapeGrad
import TapeGradFormats

/// A checkpoint that cannot be used: unreadable, corrupt, or made for another model.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the file and, where relevant, the tensor and both shapes.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

extension SafeTensors {
    /// Stores parameters as tensors named `prefix + name`, in the scalar type's dtype.
    public mutating func add<Scalar: TensorScalar & SafeTensorsElement>(_ parameters: Parameters<Scalar>, prefix: String = "") throws(SafeTensorsError) {
        for (name, tensor) in zip(parameters.names, parameters.tensors) {
            try add(prefix + name, tensor.scalars, shape: tensor.shape)
        }
    }

    /// Reads the parameters a graph stores (named `prefix + name`; tied parameters are not
    /// stored) and checks them with the graph's own ``Graph/validate(_:)``, so a checkpoint is
    /// held to exactly the rules parameters from anywhere else are: the error names the file,
    /// the parameter and both shapes.
    public func parameters<Scalar: TensorScalar & SafeTensorsElement>(for graph: Graph, prefix: String = "",
                                                                      file: String) throws(CheckpointError) -> Parameters<Scalar> {
        var result = Parameters<Scalar>()
        for spec in graph.parameterSpecs {
            let name = prefix + spec.name
            guard let entry = entry(named: name) else { continue }  // missing: reported by validate
            do {
                let values: [Scalar] = try self.values(name)
                result.append(spec.name, Tensor(shape: entry.shape, scalars: values), regularized: spec.regularized)
            } catch {
                throw CheckpointError("\(file): parameter '\(spec.name)': \(error)")
            }
        }
        do {
            try graph.validate(result)
        } catch {
            throw CheckpointError("\(file): \(error)")
        }
        return result
    }

    /// Reads every tensor whose name starts with `prefix`, named without it (an optimizer state
    /// saved with ``add(_:prefix:)``), or nil when the checkpoint holds none with that prefix.
    public func optionalParameters<Scalar: TensorScalar & SafeTensorsElement>(prefix: String, file: String) throws(CheckpointError) -> Parameters<Scalar>? {
        let names = self.names.filter { $0.hasPrefix(prefix) }
        guard !names.isEmpty else { return nil }
        var result = Parameters<Scalar>()
        for name in names {
            do {
                let values: [Scalar] = try self.values(name)
                result.append(String(name.dropFirst(prefix.count)), Tensor(shape: try shape(of: name), scalars: values))
            } catch {
                throw CheckpointError("\(file): tensor '\(name)': \(error)")
            }
        }
        return result
    }
}
