// Counting a training worker's WebGPU calls, for the benchmark scripts (browser-bench.mjs,
// gpu-calls.mjs): handed to `worker.evaluate`, it wraps the WebGPU API's own methods and counts
// compute dispatches, queue submits, buffer creations, host-to-device writes and readbacks
// (mapAsync) from then on, in `self.nnlabGpuCalls`.
export function countGpuCalls() {
  if (self.nnlabGpuCalls || !self.GPUComputePassEncoder) return;
  const calls = (self.nnlabGpuCalls = { dispatches: 0, submits: 0, buffers: 0, writes: 0, readbacks: 0 });
  const wrap = (proto, method, key) => {
    const original = proto[method];
    proto[method] = function (...args) {
      calls[key] += 1;
      return original.apply(this, args);
    };
  };
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', 'dispatches');
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', 'dispatches');
  wrap(GPUQueue.prototype, 'submit', 'submits');
  wrap(GPUDevice.prototype, 'createBuffer', 'buffers');
  wrap(GPUQueue.prototype, 'writeBuffer', 'writes');
  wrap(GPUBuffer.prototype, 'mapAsync', 'readbacks');
}
