// A first TapeGrad program: fit y = sin(x) with a small network declared as a layer graph,
// trained with Adam; the loss falls from about 0.5 to below 0.001.
// Run: swift run -c release fit-sine
import Foundation
import TapeGrad
import TapeGradLayers

// Training data: 64 points of sin(x) on [-3, 3].
let xs = (0..<64).map { -3 + 6 * Double($0) / 63 }
let x = Tensor(shape: [64, 1], scalars: xs)
let y = Tensor(shape: [64, 1], scalars: xs.map { sin($0) })

// The model: 1 → 16 (tanh) → 16 (tanh) → 1, shapes checked when it is built.
let model = try Graph {
    Dense(inputSize: 1, outputSize: 16, activation: .tanh)
    Dense(inputSize: 16, outputSize: 16, activation: .tanh)
    Dense(inputSize: 16, outputSize: 1)
}
print(model)

var parameters: Parameters<Double> = model.initialParameters(seed: 42)
var optimizer = Adam<Double>(learningRate: 0.01)
var loss = Double.infinity
for step in 0...2000 {
    let (value, gradient) = valueAndGradient(at: parameters) { tape, weights in
        let context = ForwardContext(tape: tape, isTraining: true)
        let prediction = model(.dense(tape.variable(x)), parameters: weights, context: context)
        return meanSquaredError(prediction.denseValue(for: "fit-sine"), y)
    }
    optimizer.update(&parameters, along: gradient)
    loss = value
    if step % 250 == 0 { print("step \(step): mean squared error \(value)") }
}
// CI runs this example: fail loudly if training did not work.
guard loss < 1e-3 else { fatalError("fit-sine: final loss \(loss) is not below 0.001") }
