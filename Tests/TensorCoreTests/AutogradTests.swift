import TestSupport
import Testing

@testable import TensorCore

@Suite("Autograd semantics")
struct AutogradTests {
  @Test("d/dx of x²·y + y at (3, 2) is (12, 10) by hand")
  func handDerivative() {
    let x = Tensor(3).requiringGradient()
    let y = Tensor(2).requiringGradient()
    (x * x * y + y).backward()
    #expect(x.gradient?.scalars == [12])
    #expect(y.gradient?.scalars == [10])
  }

  @Test(
    "a tensor used twice receives both contributions; gradients accumulate across backward calls")
  func accumulation() {
    let x = Tensor([1, 2]).requiringGradient()
    (x + x).sum().backward()
    #expect(x.gradient?.scalars == [2, 2])
    (x * 3).sum().backward()
    #expect(x.gradient?.scalars == [5, 5])
    x.zeroGradient()
    #expect(x.gradient == nil)
  }

  @Test("a finished backward releases the graph: no saved tensor keeps a leaf's storage shared")
  func backwardReleasesGraph() {
    var x = Tensor([1, 2, 3]).requiringGradient()
    let y = x * x
    let loss = (y * 2).sum()
    loss.backward()
    #expect(x.gradient?.scalars == [4, 8, 12])
    for node in [loss.node, y.node].compactMap({ $0 }) {
      #expect(node.pullback == nil && node.inputs.isEmpty && node.isReleased, "\(node.operation)")
    }
    // `x * x` saved `x` for its pullback; released, an in-place update finds `x` unshared.
    let before = x.storageAddress
    x.withMutableScalars { $0[0] = 10 }
    #expect(x.storageAddress == before)
    #expect(x.gradient?.scalars == [4, 8, 12], "the leaf keeps its gradient")
    withExtendedLifetime((y, loss)) {}
  }

  @Test("backward through a released graph traps with a message saying so")
  func secondBackwardTraps() async {
    let sameResult = await #expect(
      processExitsWith: .failure, observing: [\.standardErrorContent]
    ) {
      let loss = (Tensor([1, 2]).requiringGradient() * 2).sum()
      loss.backward()
      loss.backward()
    }
    // A second result that shares an operation (`y`) with the first one.
    let sharedOperation = await #expect(
      processExitsWith: .failure, observing: [\.standardErrorContent]
    ) {
      let y = Tensor([1, 2]).requiringGradient().squared()
      y.sum().backward()
      (y * 3).sum().backward()
    }
    for result in [sameResult, sharedOperation] {
      let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
      #expect(message.contains("backward through the graph a second time"), "\(message)")
    }
  }

  @Test("no-grad scopes and detached tensors record nothing")
  func noGradient() {
    let x = Tensor([1, 2]).requiringGradient()
    let y = Autograd.withoutGradient { x * 2 }
    #expect(!y.requiresGradient)
    #expect(!(x.detached * 2).requiresGradient)
    #expect((x * 2).requiresGradient)
  }

  @Test("a deep chain back-propagates without recursion limits")
  func deepChain() {
    let x = Tensor(1).requiringGradient()
    var y = x
    for _ in 0..<20_000 { y = y * 1 }
    y.backward()
    #expect(x.gradient?.scalars == [1])
  }

  @Test("softplus and log-sigmoid are finite and exact for large |x|")
  func stableFunctions() {
    let x = Tensor([-1000, -50, 0, 50, 1000])
    #expect(x.softplus().scalars == [0, Float(1.9287499e-22), 0.693_147_2, 50, 1000])
    let logSigmoid = x.logSigmoid().scalars
    #expect(logSigmoid.allSatisfy { $0.isFinite })
    #expect(logSigmoid.first == -1000 && logSigmoid.last == 0)
  }

  @Test("softmax of (1, 2, 3) by hand")
  func softmaxValues() {
    // e^k / (e + e² + e³)
    let e1 = 2.718281828459045
    let total = e1 + e1 * e1 + e1 * e1 * e1
    expectClose(
      Tensor([1, 2, 3]).softmax().scalars, [e1 / total, e1 * e1 / total, e1 * e1 * e1 / total],
      absolute: 1e-7)
  }

  @Test("creation helpers and seeded randomness")
  func creation() {
    #expect(Tensor.arange(0, 5).scalars == [0, 1, 2, 3, 4])
    #expect(Tensor.arange(1, 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
    var g1 = SeededGenerator(seed: 7)
    var g2 = SeededGenerator(seed: 7)
    #expect(Tensor.randomNormal([10], using: &g1) == Tensor.randomNormal([10], using: &g2))
    var g3 = SeededGenerator(seed: 1)
    let sample = Tensor.randomNormal([20_000], using: &g3).scalars.map(Double.init)
    let mean = sample.reduce(0, +) / Double(sample.count)
    let variance = sample.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(sample.count)
    #expect(Swift.abs(mean) < 0.03 && Swift.abs(variance - 1) < 0.05)
    let uniform = Tensor.randomUniform([1000], lower: -2, upper: 3, using: &g3).scalars
    #expect(uniform.allSatisfy { $0 >= -2 && $0 < 3 })
  }

  @Test("broadcast shapes follow NumPy's rules")
  func broadcasting() {
    #expect(Broadcasting.shape([2, 1, 5], [3, 1]) == [2, 3, 5])
    #expect(Broadcasting.shape([], [4]) == [4])
    #expect(Broadcasting.shape([2, 3], [4, 3]) == nil)
  }
}

@Suite("Fused inference ops")
struct FusedInferenceOpsTests {
  @Test("addingReLU equals (a + b).relu(), with the same gradients to both inputs")
  func addReLU() {
    let a = Tensor([[1, -2, 3], [-4, 5, -6]])
    let b = Tensor([[-2, 1, 0.5], [4, -6, 7]])
    #expect(a.addingReLU(b).scalars == [0, 0, 3.5, 0, 0, 1])
    #expect(a.addingReLU(b) == (a + b).relu())
    let (x, y) = (a.requiringGradient(), b.requiringGradient())
    let weights = Tensor([[1, 2, 3], [4, 5, 6]])
    (x.addingReLU(y) * weights).sum().backward()
    // Only the positive sums (positions 2 and 5, values 3.5 and 1) pass their weight back.
    #expect(x.gradient?.scalars == [0, 0, 3, 0, 0, 6])
    #expect(y.gradient?.scalars == [0, 0, 3, 0, 0, 6])
    #expect(!Autograd.withoutGradient { x.addingReLU(y) }.requiresGradient)
  }
}

@Suite("Fused linear")
struct LinearOpTests {
  @Test("x·Wᵀ + b equals the composed ops, and its gradients pass the finite-difference check")
  func linearMatchesComposition() throws {
    var generator = SeededGenerator(seed: 5)
    let x = Tensor.randomNormal([4, 3], using: &generator).requiringGradient()
    let w = Tensor.randomNormal([2, 3], using: &generator).requiringGradient()
    let b = Tensor.randomNormal([2], using: &generator).requiringGradient()
    let fused = x.linear(weight: w, bias: b)
    let composed = x.matmul(w.transposed()) + b
    for (u, v) in zip(fused.scalars, composed.scalars) { #expect(abs(u - v) < 1e-6) }
    let report = GradientCheck.check([x, w, b], step: 1e-3) { inputs in
      (inputs[0].linear(weight: inputs[1], bias: inputs[2]).squared()).sum()
    }
    #expect(report.maximumError < 1e-2, "largest error \(report.maximumError)")
    // Without bias, and a constant input gets no gradient (only the weight is on the tape).
    let constant = Tensor.randomNormal([5, 3], using: &generator)
    let y = constant.linear(weight: w).sum()
    y.backward()
    #expect(w.gradient != nil)
  }
}
