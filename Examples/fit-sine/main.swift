// A first TapeGrad program: fit y = sin(x) with a small network declared as a layer graph
// (a tanh MLP beside a linear skip connection), trained with Adam; the loss falls from about
// 0.5 to below 0.001.
// Run: swift run -c release fit-sine
import Foundation
import TapeGrad
import TapeGradLayers

// Training data: 64 points of sin(x) on [-3, 3].
let xs = (0..<64).map { (i: Int) -> Double in -3 + 6 * Double(i) / 63 }
let x = Tensor(shape: [64, 1], scalars: xs)
let y = Tensor(shape: [64, 1], scalars: xs.map { sin($0) })

// The model: 1 → 16 (tanh) → 16 (tanh) → 1, plus a linear map of x; shapes are checked when
// it is built.
let model = try Graph {
    let x = Input("x", features: 1)
    let h = Dense(inputSize: 1, outputSize: 16, activation: .tanh)(x)
    let mlp = Dense(inputSize: 16, outputSize: 1)(Dense(inputSize: 16, outputSize: 16, activation: .tanh)(h))
    mlp + Dense(inputSize: 1, outputSize: 1, name: "skip")(x)
}
print(model)

var parameters: Parameters<Double> = model.initialParameters(seed: 42)
var optimizer = Adam<Double>(learningRate: 0.01)
// A constant rate of 0.01 makes Adam spike now and then late in training; annealing it to
// 1e-4 lets the fit settle.
let schedule = LearningRateSchedule.cosine(total: 2000, minimum: 1e-4)
var loss = Double.infinity
for step in 0...2000 {
    optimizer.apply(schedule, base: 0.01, epoch: step)
    let (value, gradient) = try valueAndGradient(at: parameters) { tape, weights in
        let context = ForwardContext(tape: tape, isTraining: true)
        let prediction = try model(.constant(x), parameters: weights, context: context)
        return meanSquaredError(prediction, y)
    }
    optimizer.update(&parameters, along: gradient)
    loss = value
    if step % 250 == 0 { print("step \(step): mean squared error \(value)") }
}
// CI runs this example: fail loudly if training did not work.
guard loss < 1e-3 else { fatalError("fit-sine: final loss \(loss) is not below 0.001") }
