import Testing
import TapeGrad
import TapeGradLayers
import TapeGradCheck
import AutoRec
@testable import matrix_factorization

@Test("probe")
func probe() {
    let set = SyntheticRatings.generate(users: 10, items: 12, ratings: 60, seed: 1)
    let m = MatrixFactorization(set, factors: 3)
    #expect(m.factors == 3)
}
