#include "addon/model_wrap.h"

#include "addon/js_errors.h"
#include "addon/tokenizer_wrap.h"

namespace tome::addon {

Napi::Function ModelWrap::define(Napi::Env env) {
  return DefineClass(env, "Model",
                     {InstanceMethod("info", &ModelWrap::info), InstanceMethod("tokenize", &ModelWrap::tokenize),
                      InstanceMethod("tokenToPiece", &ModelWrap::token_to_piece),
                      InstanceMethod("isEog", &ModelWrap::is_eog)});
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  std::string path = arg_path(info, 0, "path");
  guarded(info.Env(), [&] { model_ = std::shared_ptr<const Model>(Model::load(path)); });
}

Napi::Value ModelWrap::info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const HParams& hp = model_->hparams();
  const Tokenizer& tok = model_->tokenizer();
  Napi::Object o = Napi::Object::New(env);
  o.Set("arch", hp.arch_name);
  o.Set("nLayer", hp.n_layer);
  o.Set("nEmbd", hp.n_embd);
  o.Set("nHead", hp.n_head);
  o.Set("nHeadKv", hp.n_head_kv);
  o.Set("headDim", hp.head_dim);
  o.Set("nFf", hp.n_ff);
  o.Set("nVocab", hp.n_vocab);
  o.Set("nCtxTrain", hp.n_ctx_train);
  o.Set("nRot", hp.n_rot);
  o.Set("ropeFreqBase", hp.rope_freq_base);
  o.Set("ropeFreqScale", hp.rope_freq_scale);
  o.Set("rmsEps", hp.rms_eps);
  // gemma3: its local layers' window (0: none) and which layers are global (every period-th)
  o.Set("slidingWindow", hp.n_swa);
  o.Set("slidingWindowPeriod", hp.swa_period);
  // smollm3: every period-th layer rotates nothing (0: all rotate); mistral3: the attention
  // temperature's scale and the positions a step of it spans (0: none)
  o.Set("noRopePeriod", hp.no_rope_period);
  o.Set("attnTempScale", hp.attn_temp_scale);
  o.Set("attnTempFloor", hp.attn_temp_floor);
  // a mixture of experts (0: a dense FFN): experts, how many a token uses, their width
  o.Set("nExpert", hp.n_expert);
  o.Set("nExpertUsed", hp.n_expert_used);
  o.Set("nFfExpert", hp.n_ff_exp);
  // an always-on shared expert's width (0: none); the leading layers with a dense FFN
  o.Set("nFfSharedExpert", hp.n_ff_shexp);
  o.Set("nDenseLead", hp.n_layer_dense_lead);
  o.Set("weightBytes", double(model_->weights().weight_bytes));
  // of which copied at load with their rows interleaved (model/weight_interleave.h)
  o.Set("interleavedBytes", double(model_->weights().interleaved_bytes));
  o.Set("tiedOutput", model_->weights().tied_output);
  Napi::Object t = Napi::Object::New(env);
  t.Set("kind", tok.kind() == TokenizerKind::SPM ? "spm" : "bpe");
  t.Set("pre", tok.pre());
  t.Set("bos", tok.bos());
  t.Set("eos", tok.eos());
  t.Set("addBos", tok.add_bos());
  t.Set("addEos", tok.add_eos());
  o.Set("tokenizer", t);
  return o;
}

Napi::Value ModelWrap::tokenize(const Napi::CallbackInfo& info) { return tokenize_js(info, model_->tokenizer()); }

Napi::Value ModelWrap::token_to_piece(const Napi::CallbackInfo& info) {
  return token_to_piece_js(info, model_->tokenizer());
}

Napi::Value ModelWrap::is_eog(const Napi::CallbackInfo& info) {
  int64_t id = arg_int(info, 0, "id", INT32_MIN, INT32_MAX);
  return Napi::Boolean::New(info.Env(), model_->tokenizer().is_eog(int32_t(id)));
}

}  // namespace tome::addon
