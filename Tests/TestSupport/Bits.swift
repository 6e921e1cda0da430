/// How many places of `a` and `b` (as many floats each) hold different bits: for the checks that
/// runs give the same bits, whose failure then says how many differ instead of printing both
/// arrays whole.
public func differingBits<A: Collection<Float>, B: Collection<Float>>(_ a: A, _ b: B) -> Int {
    precondition(a.count == b.count, "\(a.count) values against \(b.count)")
    return zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
}
