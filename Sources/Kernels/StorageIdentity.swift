/// Where an array's elements live, so that tests can tell an in-place mutation (the same
/// address before and after) from a copy-on-write copy (a new one). Only meaningful while the
/// caller holds the array; never dereferenced.
package enum StorageIdentity {
  /// The address of `array`'s first element, as an integer.
  package static func address(of array: [Float]) -> UInt {
    array.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
  }
}
