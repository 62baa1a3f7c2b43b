// attnxai_torch: a thin C ABI over libtorch for AttnXai.Torch (C#).
//
// Design:
//  - Tensors cross the boundary as heap-allocated at::Tensor* handles, freed by atx_tensor_free.
//  - Most operators go through ONE entry point, atx_op_call, which calls any ATen operator by name through the
//    dispatcher (the same boxed path TorchScript uses, so autograd and every device work). Arguments arrive as an
//    array of tagged values, converted to IValues using the operator's schema; omitted trailing arguments take
//    the schema's defaults.
//  - A few things are not dispatcher operators (creation from host memory, copies out, autograd entry points,
//    grad mode, seeds, threads, devices): they have typed entry points below.
//  - Every entry point catches every C++ exception and reports it through a thread-local last-error message;
//    the C# side turns a failure return into a managed exception carrying that message.

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/generated/variable_factories.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <malloc.h>
#include <sstream>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define ATX_API extern "C" __attribute__((visibility("default")))

namespace {

thread_local std::string g_last_error;
std::atomic<int64_t> g_live_tensors{0};

void set_error(const char* what) { g_last_error = what ? what : "unknown error"; }

at::Tensor* wrap(at::Tensor t) {
  g_live_tensors.fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(t));
}

// Runs body; on any exception records the message and returns fail.
template <typename R, typename F>
R guarded(R fail, F&& body) {
  try {
    return body();
  } catch (const c10::Error& e) {
    set_error(e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_error(e.what());
  } catch (...) {
    set_error("unknown C++ exception in libtorch");
  }
  return fail;
}

const at::Tensor& deref(const at::Tensor* t, const char* what) {
  if (!t) throw std::invalid_argument(std::string("null tensor handle for ") + what);
  return *t;
}

// The tagged value C# passes for each operator argument and receives for each result. Layout is mirrored in C#.
enum ArgTag : int32_t {
  TAG_NONE = 0,
  TAG_TENSOR = 1,
  TAG_INT = 2,
  TAG_DOUBLE = 3,
  TAG_BOOL = 4,
  TAG_INT_LIST = 5,
  TAG_TENSOR_LIST = 6,
  TAG_STRING = 7,
  TAG_DEVICE = 8,
  TAG_DEFAULT = 9,  // use the schema's default value
  TAG_DOUBLE_LIST = 10,
};

struct AtxArg {
  int32_t tag;
  int32_t reserved;
  int64_t i;
  double d;
  void* p;
  int64_t len;
};

const c10::Type* unwrap_optional(const c10::Type* type, bool* optional) {
  *optional = false;
  if (type->kind() == c10::TypeKind::OptionalType) {
    *optional = true;
    return type->castRaw<c10::OptionalType>()->getElementType().get();
  }
  return type;
}

std::string arg_context(const c10::FunctionSchema& schema, size_t index) {
  return schema.name() + (schema.overload_name().empty() ? "" : "." + schema.overload_name()) + " argument " +
         std::to_string(index) + " ('" + schema.arguments()[index].name() + "')";
}

c10::IValue to_ivalue(const AtxArg& a, const c10::FunctionSchema& schema, size_t index) {
  const auto& formal = schema.arguments()[index];
  bool optional = false;
  const c10::Type* type = unwrap_optional(formal.type().get(), &optional);
  const auto kind = type->kind();
  switch (a.tag) {
    case TAG_DEFAULT:
      if (formal.default_value()) return *formal.default_value();
      throw std::invalid_argument("missing required " + arg_context(schema, index));
    case TAG_NONE:
      if (optional || kind == c10::TypeKind::NoneType) return c10::IValue();
      throw std::invalid_argument("None given for non-optional " + arg_context(schema, index));
    case TAG_TENSOR:
      if (!a.p) throw std::invalid_argument("null tensor for " + arg_context(schema, index));
      return c10::IValue(*static_cast<at::Tensor*>(a.p));
    case TAG_INT:
      if (kind == c10::TypeKind::FloatType) return c10::IValue(static_cast<double>(a.i));
      if (kind == c10::TypeKind::BoolType) return c10::IValue(a.i != 0);
      if (kind == c10::TypeKind::ListType) return c10::IValue(c10::List<int64_t>({a.i}));
      return c10::IValue(a.i);
    case TAG_DOUBLE:
      if (kind == c10::TypeKind::IntType)
        throw std::invalid_argument("a floating-point value was given for integer " + arg_context(schema, index));
      return c10::IValue(a.d);
    case TAG_BOOL:
      return c10::IValue(a.i != 0);
    case TAG_INT_LIST: {
      const auto* v = static_cast<const int64_t*>(a.p);
      return c10::IValue(c10::List<int64_t>(std::vector<int64_t>(v, v + a.len)));
    }
    case TAG_DOUBLE_LIST: {
      const auto* v = static_cast<const double*>(a.p);
      return c10::IValue(c10::List<double>(std::vector<double>(v, v + a.len)));
    }
    case TAG_TENSOR_LIST: {
      auto** v = static_cast<at::Tensor**>(a.p);
      bool optional_elements = false;
      if (kind == c10::TypeKind::ListType) {
        unwrap_optional(type->castRaw<c10::ListType>()->getElementType().get(), &optional_elements);
      }
      if (optional_elements) {
        c10::List<c10::optional<at::Tensor>> list;
        for (int64_t k = 0; k < a.len; ++k) list.push_back(v[k] ? c10::optional<at::Tensor>(*v[k]) : c10::nullopt);
        return c10::IValue(list);
      }
      c10::List<at::Tensor> list;
      for (int64_t k = 0; k < a.len; ++k) {
        if (!v[k]) throw std::invalid_argument("null tensor in list for " + arg_context(schema, index));
        list.push_back(*v[k]);
      }
      return c10::IValue(list);
    }
    case TAG_STRING:
      return c10::IValue(std::string(static_cast<const char*>(a.p)));
    case TAG_DEVICE:
      return c10::IValue(c10::Device(std::string(static_cast<const char*>(a.p))));
    default:
      throw std::invalid_argument("unknown argument tag for " + arg_context(schema, index));
  }
}

// Writes one result value into outs[*count], expanding tensor lists; returns false when outs is full.
void push_result(const c10::IValue& v, AtxArg* outs, int32_t max_outs, int32_t* count) {
  auto next = [&]() -> AtxArg& {
    if (*count >= max_outs) throw std::runtime_error("operator returned more results than the caller expected");
    AtxArg& slot = outs[(*count)++];
    std::memset(&slot, 0, sizeof(slot));
    return slot;
  };
  if (v.isTensor()) {
    AtxArg& s = next();
    const auto& t = v.toTensor();
    s.tag = TAG_TENSOR;
    s.p = t.defined() ? wrap(t) : nullptr;
  } else if (v.isTensorList()) {
    for (const at::Tensor& t : v.toTensorVector()) {
      AtxArg& s = next();
      s.tag = TAG_TENSOR;
      s.p = wrap(t);
    }
  } else if (v.isInt()) {
    AtxArg& s = next();
    s.tag = TAG_INT;
    s.i = v.toInt();
  } else if (v.isDouble()) {
    AtxArg& s = next();
    s.tag = TAG_DOUBLE;
    s.d = v.toDouble();
  } else if (v.isBool()) {
    AtxArg& s = next();
    s.tag = TAG_BOOL;
    s.i = v.toBool() ? 1 : 0;
  } else if (v.isNone()) {
    AtxArg& s = next();
    s.tag = TAG_NONE;
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) push_result(e, outs, max_outs, count);
  } else {
    throw std::runtime_error("unsupported operator result type: " + v.tagKind());
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Errors, lifetime, library facts

ATX_API const char* atx_last_error() { return g_last_error.c_str(); }

ATX_API int64_t atx_live_tensors() { return g_live_tensors.load(std::memory_order_relaxed); }

ATX_API void atx_tensor_free(at::Tensor* t) {
  if (!t) return;
  g_live_tensors.fetch_sub(1, std::memory_order_relaxed);
  delete t;
}

// Applies the allocator settings measured to matter here: glibc would otherwise return large tensor buffers to
// the kernel on free and page-fault them back on the next allocation. mode 0: leave malloc alone.
ATX_API int32_t atx_init(int32_t malloc_mode) {
  if (malloc_mode == 1) {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);  // glibc's maximum on 64-bit
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    mallopt(M_TOP_PAD, 64 * 1024 * 1024);
  }
  return 1;
}

ATX_API int32_t atx_version(char* buf, int32_t len) {
  std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                  std::to_string(TORCH_VERSION_PATCH);
  std::snprintf(buf, static_cast<size_t>(len), "%s", v.c_str());
  return static_cast<int32_t>(v.size());
}

ATX_API int32_t atx_build_config(char* buf, int32_t len) {
  return guarded<int32_t>(-1, [&] {
    std::string s = at::show_config();
    if (buf && len > 0) std::snprintf(buf, static_cast<size_t>(len), "%s", s.c_str());
    return static_cast<int32_t>(s.size());
  });
}

ATX_API void atx_manual_seed(uint64_t seed) {
  guarded<int>(0, [&] {
    at::manual_seed(seed);
    return 0;
  });
}

ATX_API void atx_set_num_threads(int32_t n) {
  guarded<int>(0, [&] {
    at::set_num_threads(n);
    return 0;
  });
}

ATX_API int32_t atx_get_num_threads() { return at::get_num_threads(); }

ATX_API int32_t atx_cuda_is_available() {
  return guarded<int32_t>(0, [] { return torch::cuda::is_available() ? 1 : 0; });
}

ATX_API int32_t atx_cuda_device_count() {
  return guarded<int32_t>(0, [] { return static_cast<int32_t>(torch::cuda::device_count()); });
}

// Validates a device string ("cpu", "cuda", "cuda:1"); 1 if usable, 0 with an error message otherwise.
ATX_API int32_t atx_check_device(const char* device) {
  return guarded<int32_t>(0, [&] {
    c10::Device d{std::string(device)};
    if (d.is_cuda()) {
      if (!torch::cuda::is_available())
        throw std::runtime_error("device '" + std::string(device) +
                                 "' was requested but this libtorch has no usable CUDA (torch.cuda.is_available() is "
                                 "false: a CPU-only build, or no driver/GPU)");
      auto n = static_cast<int64_t>(torch::cuda::device_count());
      if (d.has_index() && d.index() >= n)
        throw std::runtime_error("device '" + std::string(device) + "' does not exist: " + std::to_string(n) +
                                 " CUDA device(s)");
    } else if (!d.is_cpu()) {
      throw std::runtime_error("device '" + std::string(device) + "' is not supported (use cpu or cuda[:N])");
    }
    return 1;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors from and to host memory, metadata

ATX_API at::Tensor* atx_from_data(const void* data, int32_t dtype, const int64_t* shape, int32_t ndim,
                                  int32_t requires_grad) {
  return guarded<at::Tensor*>(nullptr, [&] {
    auto st = static_cast<c10::ScalarType>(dtype);
    std::vector<int64_t> sizes(shape, shape + ndim);
    auto opts = at::TensorOptions().dtype(st);
    at::Tensor t = at::empty(sizes, opts);
    const size_t nbytes = static_cast<size_t>(t.numel()) * t.element_size();
    if (nbytes > 0) std::memcpy(t.data_ptr(), data, nbytes);
    if (requires_grad) t.set_requires_grad(true);
    return wrap(t);
  });
}

// Copies the tensor's elements (converted to dtype, on the CPU, contiguous) into dst of nbytes.
ATX_API int32_t atx_copy_out(const at::Tensor* t, int32_t dtype, void* dst, int64_t nbytes) {
  return guarded<int32_t>(0, [&] {
    at::NoGradGuard no_grad;
    at::Tensor src = deref(t, "copy_out").to(at::kCPU, static_cast<c10::ScalarType>(dtype)).contiguous();
    const int64_t need = src.numel() * static_cast<int64_t>(src.element_size());
    if (need != nbytes)
      throw std::invalid_argument("copy_out: destination holds " + std::to_string(nbytes) + " bytes, tensor needs " +
                                  std::to_string(need));
    if (need > 0) std::memcpy(dst, src.data_ptr(), static_cast<size_t>(need));
    return 1;
  });
}

ATX_API int32_t atx_dim(const at::Tensor* t) {
  return guarded<int32_t>(-1, [&] { return static_cast<int32_t>(deref(t, "dim").dim()); });
}

ATX_API int32_t atx_sizes(const at::Tensor* t, int64_t* out, int32_t max) {
  return guarded<int32_t>(-1, [&] {
    auto s = deref(t, "sizes").sizes();
    if (static_cast<int32_t>(s.size()) > max) throw std::invalid_argument("sizes: buffer too small");
    for (size_t k = 0; k < s.size(); ++k) out[k] = s[k];
    return static_cast<int32_t>(s.size());
  });
}

ATX_API int32_t atx_dtype(const at::Tensor* t) {
  return guarded<int32_t>(-1, [&] { return static_cast<int32_t>(deref(t, "dtype").scalar_type()); });
}

ATX_API int32_t atx_device(const at::Tensor* t, char* buf, int32_t len) {
  return guarded<int32_t>(-1, [&] {
    std::string s = deref(t, "device").device().str();
    std::snprintf(buf, static_cast<size_t>(len), "%s", s.c_str());
    return static_cast<int32_t>(s.size());
  });
}

ATX_API at::Tensor* atx_alias(const at::Tensor* t) {
  return guarded<at::Tensor*>(nullptr, [&] { return wrap(deref(t, "alias")); });
}

// ---------------------------------------------------------------------------------------------------------------
// Autograd

ATX_API int32_t atx_requires_grad(const at::Tensor* t) {
  return guarded<int32_t>(-1, [&] { return deref(t, "requires_grad").requires_grad() ? 1 : 0; });
}

ATX_API int32_t atx_set_requires_grad(at::Tensor* t, int32_t value) {
  return guarded<int32_t>(0, [&] {
    if (!t) throw std::invalid_argument("null tensor handle");
    t->set_requires_grad(value != 0);
    return 1;
  });
}

ATX_API int32_t atx_is_leaf(const at::Tensor* t) {
  return guarded<int32_t>(-1, [&] { return deref(t, "is_leaf").is_leaf() ? 1 : 0; });
}

// Returns the accumulated gradient or null when there is none (check atx_last_error only if *ok is 0).
ATX_API at::Tensor* atx_grad(const at::Tensor* t, int32_t* ok) {
  *ok = 0;
  return guarded<at::Tensor*>(nullptr, [&]() -> at::Tensor* {
    const at::Tensor& g = deref(t, "grad").grad();
    *ok = 1;
    return g.defined() ? wrap(g) : nullptr;
  });
}

ATX_API int32_t atx_reset_grad(at::Tensor* t) {
  return guarded<int32_t>(0, [&] {
    if (!t) throw std::invalid_argument("null tensor handle");
    t->mutable_grad().reset();
    return 1;
  });
}

ATX_API int32_t atx_backward(const at::Tensor* t, const at::Tensor* grad, int32_t retain_graph, int32_t create_graph) {
  return guarded<int32_t>(0, [&] {
    const at::Tensor& root = deref(t, "backward");
    at::Tensor g = grad ? *grad : at::Tensor();
    root.backward(g, retain_graph ? c10::optional<bool>(true) : c10::nullopt, create_graph != 0);
    return 1;
  });
}

// torch.autograd.grad: writes one handle per input into results (null where allow_unused and unused).
ATX_API int32_t atx_autograd_grad(at::Tensor** outputs, int32_t n_out, at::Tensor** grad_outputs, at::Tensor** inputs,
                                  int32_t n_in, int32_t retain_graph, int32_t create_graph, int32_t allow_unused,
                                  at::Tensor** results) {
  return guarded<int32_t>(0, [&] {
    std::vector<at::Tensor> outs, gouts, ins;
    for (int32_t k = 0; k < n_out; ++k) {
      outs.push_back(deref(outputs[k], "autograd.grad output"));
      gouts.push_back(grad_outputs && grad_outputs[k] ? *grad_outputs[k] : at::Tensor());
    }
    for (int32_t k = 0; k < n_in; ++k) ins.push_back(deref(inputs[k], "autograd.grad input"));
    auto grads = torch::autograd::grad(outs, ins, gouts,
                                       retain_graph ? c10::optional<bool>(true) : c10::nullopt, create_graph != 0,
                                       allow_unused != 0);
    for (int32_t k = 0; k < n_in; ++k) results[k] = grads[k].defined() ? wrap(grads[k]) : nullptr;
    return 1;
  });
}

ATX_API int32_t atx_grad_enabled() { return at::GradMode::is_enabled() ? 1 : 0; }

ATX_API void atx_set_grad_enabled(int32_t enabled) { at::GradMode::set_enabled(enabled != 0); }

// ---------------------------------------------------------------------------------------------------------------
// Operators through the dispatcher

ATX_API c10::OperatorHandle* atx_op_find(const char* name, const char* overload) {
  return guarded<c10::OperatorHandle*>(nullptr, [&] {
    auto op = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
    return new c10::OperatorHandle(op);
  });
}

ATX_API int32_t atx_op_schema(const c10::OperatorHandle* op, char* buf, int32_t len) {
  return guarded<int32_t>(-1, [&] {
    std::ostringstream os;
    os << op->schema();
    std::string s = os.str();
    if (buf && len > 0) std::snprintf(buf, static_cast<size_t>(len), "%s", s.c_str());
    return static_cast<int32_t>(s.size());
  });
}

// Calls the operator with nargs positional arguments (the rest take their defaults). Returns the number of
// results written to outs, or -1 on error.
ATX_API int32_t atx_op_call(const c10::OperatorHandle* op, const AtxArg* args, int32_t nargs, AtxArg* outs,
                            int32_t max_outs) {
  return guarded<int32_t>(-1, [&] {
    const auto& schema = op->schema();
    const auto& formals = schema.arguments();
    if (static_cast<size_t>(nargs) > formals.size())
      throw std::invalid_argument(schema.name() + " takes " + std::to_string(formals.size()) + " arguments, " +
                                  std::to_string(nargs) + " given");
    torch::jit::Stack stack;
    stack.reserve(formals.size());
    for (size_t k = 0; k < formals.size(); ++k) {
      if (k < static_cast<size_t>(nargs)) {
        stack.push_back(to_ivalue(args[k], schema, k));
      } else {
        AtxArg dflt{};
        dflt.tag = TAG_DEFAULT;
        stack.push_back(to_ivalue(dflt, schema, k));
      }
    }
    op->callBoxed(&stack);
    int32_t count = 0;
    try {
      for (const auto& v : stack) push_result(v, outs, max_outs, &count);
    } catch (...) {
      for (int32_t k = 0; k < count; ++k)
        if (outs[k].tag == TAG_TENSOR) atx_tensor_free(static_cast<at::Tensor*>(outs[k].p));
      throw;
    }
    return count;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Fused Adam/AdamW step: one pass over parameter, gradient and both moments, with PyTorch's update rule and
// operation order (the per-op path makes ~9 passes; on the paper's 12.9M-parameter embedding the step is
// memory-bound). Handles dense contiguous float32/float64 CPU tensors; returns 2 ("not handled") otherwise, and the
// C# side falls back to the per-op path.

namespace {
template <typename T>
void adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool decoupled, double bias1, double bias2_sqrt) {
  const T decay = static_cast<T>(1 - lr * weight_decay);
  const T wd = static_cast<T>(weight_decay);
  const T b1 = static_cast<T>(beta1), one_b1 = static_cast<T>(1 - beta1);
  const T b2 = static_cast<T>(beta2), one_b2 = static_cast<T>(1 - beta2);
  const T b2s = static_cast<T>(bias2_sqrt), e = static_cast<T>(eps);
  const T neg_step = static_cast<T>(-(lr / bias1));
  at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T param = p[i];
      T grad = g[i];
      if (weight_decay != 0) {
        if (decoupled) param = param * decay;
        else grad = grad + wd * param;
      }
      const T mi = m[i] * b1 + one_b1 * grad;
      const T vi = v[i] * b2 + one_b2 * (grad * grad);
      m[i] = mi;
      v[i] = vi;
      const T denom = std::sqrt(vi) / b2s + e;
      p[i] = param + neg_step * (mi / denom);
    }
  });
}
}  // namespace

ATX_API int32_t atx_adam_step(at::Tensor* param, at::Tensor* exp_avg, at::Tensor* exp_avg_sq, double lr, double beta1,
                              double beta2, double eps, double weight_decay, int32_t decoupled, int64_t step) {
  return guarded<int32_t>(0, [&]() -> int32_t {
    at::Tensor& p = *param;
    const at::Tensor& g = p.grad();
    if (!g.defined()) return 3;  // no gradient: nothing to do
    auto ok = [&](const at::Tensor& t) {
      return t.device().is_cpu() && t.layout() == at::kStrided && t.is_contiguous() &&
             t.scalar_type() == p.scalar_type() && t.sizes() == p.sizes();
    };
    if (!ok(p) || !ok(g) || !ok(*exp_avg) || !ok(*exp_avg_sq) ||
        (p.scalar_type() != at::kFloat && p.scalar_type() != at::kDouble))
      return 2;
    const double bias1 = 1 - std::pow(beta1, static_cast<double>(step));
    const double bias2_sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(step)));
    if (p.scalar_type() == at::kFloat)
      adam_kernel<float>(p.data_ptr<float>(), g.data_ptr<float>(), exp_avg->data_ptr<float>(),
                         exp_avg_sq->data_ptr<float>(), p.numel(), lr, beta1, beta2, eps, weight_decay, decoupled != 0,
                         bias1, bias2_sqrt);
    else
      adam_kernel<double>(p.data_ptr<double>(), g.data_ptr<double>(), exp_avg->data_ptr<double>(),
                          exp_avg_sq->data_ptr<double>(), p.numel(), lr, beta1, beta2, eps, weight_decay,
                          decoupled != 0, bias1, bias2_sqrt);
    return 1;
  });
}
