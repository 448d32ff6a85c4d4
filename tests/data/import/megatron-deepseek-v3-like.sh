# Megatron-Core arguments of a DeepSeek-V3-shaped MoE with multi-head latent attention
# (megatron/training/arguments.py names), used by tests/cli/cli_test.cpp to check `trainsim import`.
python pretrain_gpt.py \
  --num-layers 61 --hidden-size 7168 --num-attention-heads 128 --ffn-hidden-size 18432 \
  --seq-length 4096 --vocab-size 129280 --swiglu --normalization RMSNorm --disable-bias-linear \
  --position-embedding-type rope --untie-embeddings-and-output-weights \
  --multi-latent-attention --q-lora-rank 1536 --kv-lora-rank 512 --qk-head-dim 128 \
  --qk-pos-emb-head-dim 64 --v-head-dim 128 \
  --num-experts 256 --moe-router-topk 8 --moe-ffn-hidden-size 2048 --moe-shared-expert-intermediate-size 2048 \
  --tensor-model-parallel-size 1 --pipeline-model-parallel-size 16 --expert-model-parallel-size 64 \
  --micro-batch-size 1 --global-batch-size 15360 --bf16 --use-distributed-optimizer \
  --recompute-granularity selective --recompute-modules mla_up_proj moe_act shared_experts --moe-layer-freq "([0]*3+[1]*58)" \
  --moe-token-dispatcher-type flex --moe-flex-dispatcher-backend hybridep
